//! Writing Meta's ad objects through the governed path (the account's gate, its integration's
//! token, an event row per call) and reading back what Meta now has, for the audit row and the
//! mirror. Shared by every router that changes campaigns, ad sets, ads, creatives and audiences.

use super::action::Cx;
use crate::db::ad_accounts::BoundAccount;
use crate::failure::Failure;
use crate::graph::{BatchCall, BatchResult};
use crate::ports::GraphCall;
use crate::sync::structure::ObjectKind;
use serde::Serialize;
use serde_json::{json, Value};

/// The parameters of a Graph call, as form fields: texts as they are, lists and objects as JSON.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Params::default()
    }

    pub fn text(mut self, key: &str, value: impl Into<String>) -> Self {
        self.0.push((key.to_string(), value.into()));
        self
    }

    pub fn opt_text(self, key: &str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.text(key, v),
            None => self,
        }
    }

    pub fn int(self, key: &str, value: i64) -> Self {
        self.text(key, value.to_string())
    }

    pub fn opt_int(self, key: &str, value: Option<i64>) -> Self {
        match value {
            Some(v) => self.int(key, v),
            None => self,
        }
    }

    pub fn json(self, key: &str, value: &impl Serialize) -> Self {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
        self.text(key, text)
    }

    pub fn opt_json(self, key: &str, value: Option<&impl Serialize>) -> Self {
        match value {
            Some(v) => self.json(key, v),
            None => self,
        }
    }
}

/// One write (POST or DELETE) on Meta for `account`; Meta's answer.
pub async fn graph_write(cx: &Cx<'_>, account: &BoundAccount, method: &str, path: &str, params: &[(String, String)]) -> Result<Value, Failure> {
    cx.ports.graph(account.scope(cx.workspace), GraphCall::Write(method, path), params).await.map(|(v, _)| v)
}

/// One read (GET) on Meta for `account`.
pub async fn graph_read(cx: &Cx<'_>, account: &BoundAccount, path: &str, params: &[(String, String)]) -> Result<Value, Failure> {
    cx.ports.graph(account.scope(cx.workspace), GraphCall::Object(path), params).await.map(|(v, _)| v)
}

/// The object `id` as Meta has it after a write, with every field its mirror keeps. If the read
/// fails the write still happened: the answer says so with Meta's reply to the write.
pub async fn read_back(cx: &Cx<'_>, account: &BoundAccount, kind: ObjectKind, id: &str, written: &Value) -> Value {
    let params = [("fields".to_string(), kind.fields())];
    match graph_read(cx, account, id, &params).await {
        Ok(v) => v,
        Err(_) => json!({ "id": id, "meta_response": written }),
    }
}

/// Calls through Meta's batch API for `account`, one result per call; the gateway splits them
/// into requests (50 at most, within the gate) and carries ids between requests.
pub async fn graph_batch(cx: &Cx<'_>, account: &BoundAccount, calls: &[BatchCall]) -> Result<Vec<BatchResult>, Failure> {
    cx.ports.graph_batch(account.scope(cx.workspace), calls).await
}

/// A batch call's result as a call's: the answer, or Meta's error as a failure.
pub fn batch_answer(result: BatchResult) -> Result<Value, Failure> {
    match result {
        BatchResult::Ok(v) => Ok(v),
        BatchResult::Err(e) => Err(Failure::from(crate::graph::GraphFailure::Graph(e))),
    }
}

/// Every page of an edge (GET) on Meta for `account`.
pub async fn graph_all(cx: &Cx<'_>, account: &BoundAccount, path: &str, params: &[(String, String)]) -> Result<Vec<Value>, Failure> {
    let (v, _) = cx.ports.graph(account.scope(cx.workspace), GraphCall::AllPages(path), params).await?;
    Ok(v.as_array().cloned().unwrap_or_default())
}

/// The account's ads (not deleted) that show `creative_id`.
pub async fn ads_using(cx: &Cx<'_>, account: &BoundAccount, creative_id: &str) -> Result<Vec<Value>, Failure> {
    let params = [("fields".to_string(), ObjectKind::Ad.fields()), ("limit".to_string(), "500".to_string())];
    let ads = graph_all(cx, account, &format!("act_{}/ads", account.id), &params).await?;
    Ok(ads.into_iter().filter(|a| a["creative"]["id"].as_str() == Some(creative_id)).collect())
}
