//! Reaching an ad account's fact object (`AccountFacts`, one per account by its id).

use crate::failure::Failure;
use crate::ports::Query;
use serde_json::Value;
use worker::{Env, Method, Request, RequestInit};

/// Runs `statements` in the account's fact object; its answer, which must be a 200.
pub async fn run(env: &Env, account: &str, statements: &[Query]) -> Result<Value, Failure> {
    let stub = env.durable_object("ACCOUNT_FACTS")?.id_from_name(account)?.get_stub()?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(crate::facts::wire(statements).to_string().into()));
    let req = Request::new_with_init(&format!("https://facts/{account}/run"), &init)?;
    let mut resp = stub.fetch_with_request(req).await.map_err(|e| Failure::Internal(format!("fact object of {account}: {e}")))?;
    if resp.status_code() != 200 {
        let why = resp.text().await.unwrap_or_default();
        return Err(Failure::Internal(format!("fact object of {account} answered {}: {why}", resp.status_code())));
    }
    Ok(resp.json().await?)
}
