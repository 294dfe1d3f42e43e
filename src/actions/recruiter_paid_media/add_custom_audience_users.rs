//! `recruiter_paid_media/add_custom_audience_users`: Adds people to a customer-list audience. Each
//! value is normalised as Meta specifies and SHA-256 hashed here; only hashes leave the gateway,
//! in batches of at most 10,000 rows under one upload session. Nothing stores the plaintext: the
//! audit row and the answer carry counts.

use super::{bad, read_audience};
use crate::actions::action::{Action, Change, Cx, Meta, Plan, Record, RECRUITER_OR_ADMIN};
use crate::actions::objects::graph_write;
use crate::db::ad_accounts::BoundAccount;
use crate::domain::{AdAccountId, List, MetaId, PiiKey, Text};
use crate::failure::Failure;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Meta's largest batch of rows per request.
pub const BATCH_ROWS: usize = 10_000;

/// People to add to or remove from a customer-list audience.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The bound ad account (`act_...` or digits).
    pub ad_account_id: AdAccountId,
    /// The custom audience.
    pub audience_id: MetaId,
    /// The matching keys of each row, in order: EMAIL, PHONE (with country code), FN, LN, ZIP, CT, ST, COUNTRY, DOBY, GEN, EXTERN_ID.
    pub schema: List<PiiKey, 11>,
    /// The rows, plaintext, one value per schema key (hashed here; up to 30,000 rows).
    pub rows: List<List<Text<256>, 11>, 30_000>,
}

/// The rows as Meta receives them: hashed, in batches with one session.
pub fn batches(input: &Input, session_id: u64) -> Result<Vec<Value>, Failure> {
    let schema = input.schema.items();
    if schema.is_empty() {
        return Err(bad("schema", "name at least one matching key"));
    }
    if let Some(dup) = schema.iter().enumerate().find(|(i, k)| schema[..*i].contains(k)) {
        return Err(bad("schema", format!("{} is named twice", dup.1.as_str())));
    }
    let rows = input.rows.items();
    if rows.is_empty() {
        return Err(bad("rows", "send at least one row"));
    }
    if let Some((i, _)) = rows.iter().enumerate().find(|(_, r)| r.items().len() != schema.len()) {
        return Err(bad("rows", format!("row {i} has a different number of values than the schema ({})", schema.len())));
    }
    let hashed: Vec<Vec<String>> = rows.iter().map(|r| r.items().iter().zip(schema).map(|(v, k)| k.prepare(v.as_str())).collect()).collect();
    let keys: Vec<&str> = schema.iter().map(|k| k.as_str()).collect();
    let chunks: Vec<&[Vec<String>]> = hashed.chunks(BATCH_ROWS).collect();
    let n = chunks.len();
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            json!({
                "payload": { "schema": keys, "data": chunk },
                "session": { "session_id": session_id, "batch_seq": i + 1, "last_batch_flag": i + 1 == n, "estimated_num_total": hashed.len() },
            })
        })
        .collect())
}

/// Sends the batches with `method` (POST adds, DELETE removes) and sums Meta's counts.
pub async fn send(cx: &Cx<'_>, account: BoundAccount, input: &Input, method: &str, status: u16) -> Result<Change, Failure> {
    let id = input.audience_id.as_str();
    let session_id = u64::from_str_radix(&crate::ports::new_id("s")[2..14], 16).unwrap_or(1);
    let batches = batches(input, session_id)?;
    let mut record = Record { ad_account_id: Some(account.id.clone()), external_id: Some(id.to_string()), ..Record::default() };
    let (mut received, mut invalid, mut sent) = (0i64, 0i64, 0usize);
    for b in &batches {
        let params = [("payload".to_string(), b["payload"].to_string()), ("session".to_string(), b["session"].to_string())];
        match graph_write(cx, &account, method, &format!("{id}/users"), &params).await {
            Ok(reply) => {
                received += reply["num_received"].as_i64().unwrap_or(0);
                invalid += reply["num_invalid_entries"].as_i64().unwrap_or(0);
                sent += 1;
            }
            Err(e) => {
                record.after = Some(json!({ "batches_sent": sent, "batches": batches.len(), "num_received": received }));
                return Change::refused(e, record);
            }
        }
    }
    let summary = json!({ "session_id": session_id, "rows": input.rows.items().len(), "batches": batches.len(), "num_received": received, "num_invalid_entries": invalid });
    record.after = Some(summary.clone());
    Ok(Change::done(status, json!({ "ad_account_id": account.id, "audience_id": id, "upload": summary }), Vec::new(), record))
}

pub struct Act;

impl Action for Act {
    type Input = Input;
    type Plan = BoundAccount;
    const META: Meta = crate::action_meta!(roles: RECRUITER_OR_ADMIN, tier: ExecuteLow, summary: "Adds people to a customer-list audience: values normalised as Meta specifies and SHA-256 hashed in the gateway, sent in batches of 10,000 with an upload session; plaintext is never stored or sent.");

    async fn prepare(cx: &Cx<'_>, input: &Input) -> Result<Plan<BoundAccount>, Failure> {
        batches(input, 0)?;
        Ok(Plan::go(read_audience(cx, &input.ad_account_id, "audience_id", &input.audience_id).await?))
    }

    async fn apply(cx: &Cx<'_>, input: &Input, account: BoundAccount) -> Result<Change, Failure> {
        send(cx, account, input, "POST", 200).await
    }
}
