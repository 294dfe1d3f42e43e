//! The governed Graph path, the only way a call for a workspace reaches Meta: the account's gate
//! admits it, the integration's token signs it, and what Meta answers is recorded and reported
//! back to the gate. Actions, HTTP handlers, the sync job and cron all call through here.

use super::{events, tokens, Services};
use crate::failure::Failure;
use crate::graph::ErrorClass;
use crate::ports::{GraphCall, Scope};
use serde_json::Value;

/// One Graph call through the integration's token. When Meta refuses the token (190), the token
/// gets one just-in-time refresh and the call one more try (a refused call did nothing, so this
/// holds for writes too); if the refresh cannot help, the refresh has marked the integration
/// expired and the refusal stands. Returns the body (an array for `AllPages`) and the calls made.
pub async fn call(svc: &Services, scope: &Scope<'_>, call: GraphCall<'_>, params: &[(String, String)]) -> Result<(Value, u32), Failure> {
    let iid = scope.integration_id.unwrap_or_default();
    let attempt = |token: String| async move {
        let client = tokens::client(svc, &token)?;
        match call {
            GraphCall::AllPages(path) => events::all_pages(svc, scope, &client, path, params).await.map(|(rows, calls)| (Value::Array(rows), calls)),
            GraphCall::Object(path) => events::call(svc, scope, &client, "GET", path, params).await.map(|v| (v, 1)),
            GraphCall::Verify(path) => {
                let own_gate = format!("int:{iid}");
                events::call_admitted_by(svc, scope, &client, "GET", path, params, Some(&own_gate)).await.map(|v| (v, 1))
            }
            GraphCall::Write(method, path) => events::call(svc, scope, &client, method, path, params).await.map(|v| (v, 1)),
        }
    };
    match attempt(tokens::integration_token(svc, scope.workspace_id, iid).await?).await {
        Err(e) if e.graph_class() == Some(ErrorClass::Auth) => {
            match tokens::refresh_now(svc, "jit-recovery", scope.workspace_id, iid).await {
                // A fresh token, or the same one Meta still accepts (the session was dropped, not the token).
                Ok(after) if after["status"] == "active" => attempt(tokens::integration_token(svc, scope.workspace_id, iid).await?).await,
                _ => Err(e),
            }
        }
        other => other,
    }
}
