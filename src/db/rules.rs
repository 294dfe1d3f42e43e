//! `rules`, `rule_runs` and `rule_actions`: the workspace's rules, each run with what it read,
//! decided and did, and what each rule did to each object (its cooldowns and caps).

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Rule {
    pub id: String,
    pub workspace_id: String,
    pub ad_account_id: String,
    pub name: String,
    pub owner_member_id: String,
    pub spec: String,
    pub every: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub next_run_at: Option<String>,
    pub last_run_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Rule {
    /// The rule as its API shows it (the spec parsed).
    pub fn public(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["spec"] = super::parsed(Some(&self.spec));
        v["ad_account_id"] = Value::from(format!("act_{}", self.ad_account_id));
        v
    }
}

pub fn insert(r: &Rule) -> Query {
    Query::new(
        "INSERT INTO rules (id, workspace_id, ad_account_id, name, owner_member_id, spec, every, status, next_run_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9, ?9)",
        binds![
            r.id.as_str(),
            r.workspace_id.as_str(),
            r.ad_account_id.as_str(),
            r.name.as_str(),
            r.owner_member_id.as_str(),
            r.spec.as_str(),
            r.every.as_str(),
            r.next_run_at.as_deref(),
            r.created_at.as_str()
        ],
    )
}

/// One of the workspace's rules (a deleted one is gone to its callers).
pub async fn get(ports: &dyn Ports, ws: &str, id: &str) -> Result<Option<Rule>, Failure> {
    super::first(ports, Query::new("SELECT * FROM rules WHERE workspace_id = ?1 AND id = ?2 AND status != 'deleted'", binds![ws, id])).await
}

/// A new spec (and its schedule), only if the rule is still as read (`updated_at`).
pub fn update_spec(r: &Rule, was_updated_at: &str) -> Query {
    Query::new(
        "UPDATE rules SET name = ?3, spec = ?4, every = ?5, next_run_at = ?6, updated_at = ?7 WHERE workspace_id = ?1 AND id = ?2 AND updated_at = ?8",
        binds![
            r.workspace_id.as_str(),
            r.id.as_str(),
            r.name.as_str(),
            r.spec.as_str(),
            r.every.as_str(),
            r.next_run_at.as_deref(),
            r.updated_at.as_str(),
            was_updated_at
        ],
    )
}

pub fn set_status(ws: &str, id: &str, status: &str, reason: Option<&str>, now: &str) -> Query {
    Query::new("UPDATE rules SET status = ?3, status_reason = ?4, updated_at = ?5 WHERE workspace_id = ?1 AND id = ?2", binds![ws, id, status, reason, now])
}

/// Active rules of an account that run on new data.
pub async fn on_sync(ports: &dyn Ports, ws: &str, account: &str) -> Result<Vec<Rule>, Failure> {
    super::all(
        ports,
        Query::new(
            "SELECT * FROM rules WHERE workspace_id = ?1 AND ad_account_id = ?2 AND status = 'active' AND every = 'sync' LIMIT 200",
            binds![ws, account],
        ),
    )
    .await
}

/// Active scheduled rules whose time has come.
pub async fn due(ports: &dyn Ports, now: &str) -> Result<Vec<Rule>, Failure> {
    super::all(
        ports,
        Query::new(
            "SELECT * FROM rules WHERE status = 'active' AND every IN ('hour', 'day') AND next_run_at <= ?1 ORDER BY next_run_at LIMIT 200",
            binds![now],
        ),
    )
    .await
}

/// Moves a scheduled rule's next run on, only from the time it had: of two ticks, one starts the run.
pub fn advance(id: &str, was: &str, next: &str, now: &str) -> Query {
    Query::new("UPDATE rules SET next_run_at = ?3, last_run_at = ?4 WHERE id = ?1 AND next_run_at = ?2", binds![id, was, next, now])
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Run {
    pub id: String,
    pub workspace_id: String,
    pub rule_id: String,
    pub trigger: String,
    pub status: String,
    pub data_as_of: Option<String>,
    pub inputs: Option<String>,
    pub decisions: Option<String>,
    pub actions: Option<String>,
    pub acted: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Run {
    pub fn public(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        for k in ["inputs", "decisions", "actions"] {
            v[k] = super::parsed(v[k].as_str());
        }
        v
    }
}

/// A queued run; nothing if a run with this id exists. The id is fixed by what started the run
/// (the rule and its due time, or the sync), so two ticks or a sync seen twice make one run.
pub fn insert_run(ws: &str, id: &str, rule: &str, trigger: &str, now: &str) -> Query {
    Query::new(
        "INSERT OR IGNORE INTO rule_runs (id, workspace_id, rule_id, trigger, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?5)",
        binds![id, ws, rule, trigger, now],
    )
}

pub async fn run_by_id(ports: &dyn Ports, id: &str) -> Result<Option<Run>, Failure> {
    super::first(ports, Query::new("SELECT * FROM rule_runs WHERE id = ?1", binds![id])).await
}

pub struct Finished<'a> {
    pub status: &'a str,
    pub data_as_of: Option<&'a str>,
    pub inputs: &'a Value,
    pub decisions: &'a Value,
    pub actions: &'a Value,
    pub acted: i64,
    pub error: Option<&'a str>,
}

pub fn finish(id: &str, f: &Finished<'_>, now: &str) -> Query {
    Query::new(
        "UPDATE rule_runs SET status = ?2, data_as_of = ?3, inputs = ?4, decisions = ?5, actions = ?6, acted = ?7, error = ?8, updated_at = ?9 WHERE id = ?1",
        binds![id, f.status, f.data_as_of, f.inputs.to_string(), f.decisions.to_string(), f.actions.to_string(), f.acted, f.error, now],
    )
}

/// A rule's runs, newest first.
pub async fn runs(ports: &dyn Ports, ws: &str, rule: &str, limit: i64) -> Result<Vec<Run>, Failure> {
    super::all(
        ports,
        Query::new("SELECT * FROM rule_runs WHERE workspace_id = ?1 AND rule_id = ?2 ORDER BY created_at DESC, id LIMIT ?3", binds![ws, rule, limit]),
    )
    .await
}

/// Queued runs untouched since `before`: their message was lost.
pub async fn stalled(ports: &dyn Ports, before: &str) -> Result<Vec<String>, Failure> {
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let rows: Vec<Id> = super::all(ports, Query::new("SELECT id FROM rule_runs WHERE status = 'queued' AND updated_at < ?1 LIMIT 100", binds![before])).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub fn touch_run(id: &str, now: &str) -> Query {
    Query::new("UPDATE rule_runs SET updated_at = ?2 WHERE id = ?1", binds![id, now])
}

pub fn record_action(run: &str, rule: &str, ws: &str, object: &str, action: &str, outcome: &str, at_ms: i64) -> Query {
    Query::new(
        "INSERT OR REPLACE INTO rule_actions (run_id, rule_id, workspace_id, object_id, action, outcome, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        binds![run, rule, ws, object, action, outcome, at_ms],
    )
}

/// What the rule did lately: the objects it acted on since `cooled_since_ms` (still resting) and
/// how many actions it took since `day_since_ms`.
pub async fn recent_actions(ports: &dyn Ports, rule: &str, cooled_since_ms: i64, day_since_ms: i64) -> Result<(Vec<String>, i64), Failure> {
    #[derive(Deserialize)]
    struct Acted {
        object_id: String,
        at_ms: i64,
    }
    let since = cooled_since_ms.min(day_since_ms);
    let rows: Vec<Acted> =
        super::all(ports, Query::new("SELECT object_id, at_ms FROM rule_actions WHERE rule_id = ?1 AND at_ms >= ?2 LIMIT 5000", binds![rule, since])).await?;
    let resting = rows.iter().filter(|r| r.at_ms >= cooled_since_ms).map(|r| r.object_id.clone()).collect();
    let today = rows.iter().filter(|r| r.at_ms >= day_since_ms).count();
    Ok((resting, i64::try_from(today).unwrap_or(i64::MAX)))
}
