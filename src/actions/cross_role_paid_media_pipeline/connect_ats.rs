//! `cross_role_paid_media_pipeline/connect_ats`: connects a recruiting system's webhooks
//! (Greenhouse or Lever) to the pipeline, or changes or ends a connection. The answer gives the
//! address to paste into the system; deliveries there are taken only with a valid signature made
//! with the secret given here (Greenhouse: the webhook's secret key; Lever: its signature token),
//! which adgate seals in the token vault and never shows again.

use crate::actions::action::{Action, Change, Cx, Meta, Record, ADMIN};
use crate::actions::recruiter_paid_media_analytics::bad;
use crate::domain::{List, Text};
use crate::failure::Failure;
use crate::ports::{new_id, Query};
use crate::recruiting::events::Stage;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Which recruiting system posts the webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AtsKind {
    Greenhouse,
    Lever,
}

impl AtsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AtsKind::Greenhouse => crate::recruiting::ats::GREENHOUSE,
            AtsKind::Lever => crate::recruiting::ats::LEVER,
        }
    }
}

/// One of the system's stages and what it means here.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StageMapping {
    /// The system's stage id (Lever's `toStageId`, Greenhouse's stage id) or stage name, compared without case.
    pub ats_stage: Text<200>,
    /// The pipeline stage it means.
    pub stage: Stage,
}

/// A new connection (give `kind` and `secret`), or a change to one (give `connection_id`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The connection to change or end; without it a new one is made.
    pub connection_id: Option<Text<40>>,
    /// The system (required for a new connection).
    pub kind: Option<AtsKind>,
    /// The signing secret, 24 to 256 characters (required for a new connection; a new one rotates it).
    pub secret: Option<Text<256>>,
    /// The system's stages and what they mean, at most 100 (replaces the map). Greenhouse stage names are read without one; Lever sends stage ids, so map them.
    pub stages: Option<List<StageMapping, 100>>,
    /// True ends the connection: its deliveries are refused from then on.
    pub disconnect: Option<bool>,
}

const SECRET_CHARS: (usize, usize) = (24, 256);

/// The vault binds a connection's sealed secret to this row id.
pub fn secret_row_id(connection_id: &str) -> String {
    format!("ats:{connection_id}")
}

fn stage_map(stages: &List<StageMapping, 100>) -> Map<String, Value> {
    stages.items().iter().map(|m| (m.ats_stage.as_str().trim().to_lowercase(), json!(m.stage.as_str()))).collect()
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = ();
    const META: Meta = crate::action_meta!(roles: ADMIN, tier: ExecuteLow, summary: "Connects a recruiting system's webhooks (Greenhouse or Lever) to the pipeline with the signing secret they are verified by, or changes the secret and stage map, or ends the connection; answers the webhook address to give the system.");

    async fn apply(cx: &Cx<'_>, input: &Input, _plan: ()) -> Result<Change, Failure> {
        if let Some(secret) = &input.secret {
            let n = secret.as_str().chars().count();
            if n < SECRET_CHARS.0 || n > SECRET_CHARS.1 {
                return Err(bad("secret", format!("must be {} to {} characters", SECRET_CHARS.0, SECRET_CHARS.1)));
            }
        }
        let now = cx.ports.now_iso();
        let stages = input.stages.as_ref().map(stage_map);
        let status = if input.disconnect == Some(true) { "disconnected" } else { "active" };
        let (id, kind, before, writes) = match &input.connection_id {
            None => {
                if input.disconnect == Some(true) {
                    return Err(bad("connection_id", "is required to end a connection"));
                }
                let kind = input.kind.ok_or_else(|| bad("kind", "is required for a new connection: greenhouse or lever"))?;
                let secret = input.secret.as_ref().ok_or_else(|| bad("secret", "is required for a new connection: the system signs each delivery with it"))?;
                let id = new_id("ats");
                let sealed = cx.ports.vault_seal(secret.as_str(), &secret_row_id(&id))?;
                let insert = Query::new(
                    "INSERT INTO ats_connections (id, workspace_id, kind, secret_sealed, stages, status, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?7)",
                    crate::binds![id.as_str(), cx.workspace, kind.as_str(), sealed, Value::Object(stages.clone().unwrap_or_default()).to_string(), cx.exec.actor.as_str(), now.as_str()],
                );
                (id, kind.as_str().to_string(), None, vec![insert])
            }
            Some(id) => {
                let q = Query::new(
                    "SELECT kind, stages, status FROM ats_connections WHERE id = ?1 AND workspace_id = ?2",
                    crate::binds![id.as_str(), cx.workspace],
                );
                let row = cx.ports.rows(q).await?.into_iter().next().ok_or_else(|| bad("connection_id", "names no connection of this workspace"))?;
                if input.kind.is_some_and(|k| Some(k.as_str()) != row["kind"].as_str()) {
                    return Err(bad("kind", "cannot change: make a new connection for another system"));
                }
                let sealed = input.secret.as_ref().map(|s| cx.ports.vault_seal(s.as_str(), &secret_row_id(id.as_str()))).transpose()?;
                let update = Query::new(
                    "UPDATE ats_connections SET secret_sealed = COALESCE(?3, secret_sealed), stages = COALESCE(?4, stages), status = ?5, updated_at = ?6 WHERE id = ?1 AND workspace_id = ?2",
                    crate::binds![id.as_str(), cx.workspace, sealed, stages.clone().map(|m| Value::Object(m).to_string()), status, now.as_str()],
                );
                let before =
                    json!({ "status": row["status"], "stages": serde_json::from_str::<Value>(row["stages"].as_str().unwrap_or("{}")).unwrap_or_default() });
                (id.as_str().to_string(), row["kind"].as_str().unwrap_or_default().to_string(), Some(before), vec![update])
            }
        };
        let path = format!("/webhooks/ats/{id}");
        let url = cx.ports.deployment().public_url.map(|o| format!("{}{path}", o.trim_end_matches('/')));
        let signature = if kind == "greenhouse" {
            "Signature: sha256 <hex HMAC-SHA256(secret, raw body)>"
        } else {
            "signature in the body: hex HMAC-SHA256(signature token, token + triggeredAt); deliveries older than 15 minutes are refused"
        };
        let after = json!({ "status": status, "kind": kind, "stages": stages, "secret_rotated": input.secret.is_some() && before.is_some() });
        let body =
            json!({ "connection_id": id, "kind": kind, "status": status, "webhook_path": path, "webhook_url": url, "signature": signature, "stages": stages });
        let record = Record { external_id: Some(id.clone()), before, after: Some(after), ..Record::default() };
        Ok(Change::done(200, body, writes, record))
    }
}
