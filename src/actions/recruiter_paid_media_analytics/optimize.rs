//! The governed optimisation loop the apply actions and `rollback_optimization` share: the
//! guards (fresh data, a daily cap on changes, a cooldown per object), reading the objects from
//! Meta, carrying a set of edits out with nothing half-done on failure, and the snapshot of every
//! field changed.

use crate::actions::action::{Change, Cx, Record};
use crate::actions::objects::{batch_answer, graph_batch, graph_write};
use crate::actions::policy::{self, BudgetThresholds, Flag};
use crate::actions::recruiter_paid_media::{bad, mirror, money, refused};
use crate::db::ad_accounts::BoundAccount;
use crate::db::optimizations::{self, Row, Settings};
use crate::db::{governance_policies, insights_read};
use crate::failure::Failure;
use crate::graph::BatchCall;
use crate::ports::{new_id, Query};
use crate::problem::Problem;
use crate::sync::structure::ObjectKind;
use serde_json::{json, Value};

/// A field an optimisation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    DailyBudget,
    BidAmount,
    Creative,
    /// A campaign's, ad set's or ad's own status (ACTIVE or PAUSED): what rules pause and resume.
    Status(ObjectKind),
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::DailyBudget => "daily_budget",
            Field::BidAmount => "bid_amount",
            Field::Creative => "creative_id",
            Field::Status(_) => "status",
        }
    }

    /// The field of an optimisation row: its name and the kind of object it is on.
    pub fn parse(s: &str, kind: &str) -> Option<Field> {
        match s {
            "status" => [ObjectKind::Campaign, ObjectKind::AdSet, ObjectKind::Ad].into_iter().find(|k| k.as_str() == kind).map(Field::Status),
            _ => [Field::DailyBudget, Field::BidAmount, Field::Creative].into_iter().find(|f| f.as_str() == s),
        }
    }

    pub fn kind(self) -> ObjectKind {
        match self {
            Field::DailyBudget | Field::BidAmount => ObjectKind::AdSet,
            Field::Creative => ObjectKind::Ad,
            Field::Status(kind) => kind,
        }
    }

    /// The field's value on the object as Meta has it (money as minor units).
    pub fn current(self, object: &Value) -> Option<String> {
        match self {
            Field::DailyBudget => money(&object["daily_budget"]).map(|m| m.to_string()),
            Field::BidAmount => money(&object["bid_amount"]).map(|m| m.to_string()),
            Field::Creative => object["creative"]["id"].as_str().map(str::to_string),
            Field::Status(_) => object["status"].as_str().map(str::to_string),
        }
    }

    fn params(self, value: &str) -> Vec<(String, String)> {
        match self {
            Field::DailyBudget => vec![("daily_budget".into(), value.into())],
            Field::BidAmount => vec![("bid_amount".into(), value.into())],
            Field::Creative => vec![("creative".into(), json!({ "creative_id": value }).to_string())],
            Field::Status(_) => vec![("status".into(), value.into())],
        }
    }
}

/// One field of one object, from a value to another. `input` names it in problems.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub field: Field,
    pub object_id: String,
    pub input: String,
    pub from: String,
    pub to: String,
}

impl Edit {
    fn lowers(&self) -> bool {
        matches!((self.from.parse::<i64>(), self.to.parse::<i64>()), (Ok(f), Ok(t)) if t < f)
    }
}

fn minutes_ms(m: i64) -> i64 {
    m.saturating_mul(60_000)
}

/// When the account's insights were last synced, if within the workspace's freshness threshold
/// (with the account's time zone, read in the same query); otherwise a 409 saying how old they
/// are and how to fix it.
pub async fn fresh_data(cx: &Cx<'_>, account: &BoundAccount, s: &Settings) -> Result<(String, String), Failure> {
    let (synced, tz) = insights_read::freshness(cx.ports, cx.workspace, &account.id).await?;
    let at = synced.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp_millis());
    let stale = |detail: String| {
        let mut p = Problem::new("stale-data", "Data Too Old To Act On", 409, detail);
        p.field = Some("ad_account_id".into());
        p.with_extension("freshness_max_minutes", json!(s.freshness_max_minutes)).with_extension("insights_synced_at", json!(synced))
    };
    match at {
        None => Err(stale(format!("no insights sync of act_{} has finished yet; nothing is changed on data adgate does not have", account.id)).into()),
        Some(t) if cx.ports.now_millis() - t > minutes_ms(s.freshness_max_minutes) => Err(stale(format!(
            "act_{}'s insights were last synced at {}, more than {} minutes ago; wait for the next sync (every 15 minutes) or have an admin raise freshness_max_minutes (set_optimization_settings)",
            account.id,
            synced.clone().unwrap_or_default(),
            s.freshness_max_minutes
        ))
        .into()),
        Some(_) => Ok((synced.unwrap_or_default(), tz)),
    }
}

/// The daily cap on changes and the cooldown of each object edited.
pub async fn within_limits(cx: &Cx<'_>, s: &Settings, edits: &[Edit]) -> Result<(), Failure> {
    let now = cx.ports.now_millis();
    let ids: Vec<String> = edits.iter().map(|e| e.object_id.clone()).collect();
    let recent = optimizations::recent(cx.ports, cx.workspace, now - 86_400_000, now - minutes_ms(s.cooldown_minutes), &ids).await?;
    let n = i64::try_from(edits.len()).unwrap_or(i64::MAX);
    if recent.changes.saturating_add(n) > s.daily_change_cap {
        let detail = format!(
            "this would make {} object changes in 24 hours, above the workspace's daily cap of {} ({} made already); an admin can raise daily_change_cap (set_optimization_settings)",
            recent.changes.saturating_add(n),
            s.daily_change_cap,
            recent.changes
        );
        return Err(Problem::new("optimization-cap", "Daily Optimisation Cap Reached", 429, detail)
            .with_extension("daily_change_cap", json!(s.daily_change_cap))
            .into());
    }
    let latest: Vec<(String, i64)> = recent.latest_json.as_deref().and_then(|t| serde_json::from_str(t).ok()).unwrap_or_default();
    if let Some((edit, at)) = edits.iter().find_map(|e| latest.iter().find(|(id, _)| *id == e.object_id).map(|(_, at)| (e, *at))) {
        let ends = at.saturating_add(minutes_ms(s.cooldown_minutes));
        let mut p = Problem::new(
            "cooldown",
            "Object Cooling Down",
            409,
            format!(
                "{}: {} was changed by an optimisation at {}; it rests {} minutes after a change (until {})",
                edit.input,
                edit.object_id,
                crate::timefmt::iso_from_millis(at),
                s.cooldown_minutes,
                crate::timefmt::iso_from_millis(ends)
            ),
        );
        p.field = Some(edit.input.clone());
        p.retry_after_seconds = Some(u64::try_from((ends - now).max(0) / 1000 + 1).unwrap_or(1));
        return Err(p.into());
    }
    Ok(())
}

/// The objects the edits touch, as Meta has them now, in one batch: each must belong to the
/// account and not be deleted. Names the edit's input field when one does not.
pub async fn read_objects(cx: &Cx<'_>, account: &BoundAccount, edits: &[(String, String, ObjectKind)]) -> Result<Vec<Value>, Failure> {
    let calls: Vec<BatchCall> = edits.iter().map(|(_, id, kind)| BatchCall::get(id.clone(), &[("fields".to_string(), kind.fields())])).collect();
    let answers = graph_batch(cx, account, &calls).await?;
    let mut out = Vec::new();
    for ((input, id, _), answer) in edits.iter().zip(answers) {
        let object = batch_answer(answer).map_err(|e| e.refused_as_field(input))?;
        if object["account_id"].as_str().map(|a| a.trim_start_matches("act_")) != Some(account.id.as_str()) {
            return Err(bad(input, format!("{id} is not in ad account act_{}", account.id)));
        }
        if matches!(object["status"].as_str(), Some("DELETED") | Some("ARCHIVED")) {
            return Err(Problem::conflict(format!("{input}: {id} is {} on Meta", object["status"].as_str().unwrap_or_default())).into());
        }
        out.push(object);
    }
    if out.len() != edits.len() {
        return Err(Failure::Internal("a batch answered fewer calls than it was sent".into()));
    }
    Ok(out)
}

/// Budget and bid edits held to the guardrail and the account's daily cap (budgets), and the
/// approvals their increases need.
pub async fn money_policy(cx: &Cx<'_>, account: &BoundAccount, edits: &[Edit]) -> Result<Vec<Flag>, Failure> {
    let [guardrails, caps, thresholds] =
        governance_policies::get_many(cx.ports, cx.workspace, ["campaign_guardrails", "daily_budget_caps", "approval_thresholds"]).await?;
    let thresholds = BudgetThresholds::from_policy(thresholds.as_ref());
    let mut flags = Vec::new();
    for e in edits.iter().filter(|e| matches!(e.field, Field::DailyBudget | Field::BidAmount)) {
        let to: i64 = e.to.parse().map_err(|_| bad(&e.input, "is not an amount"))?;
        if e.field == Field::DailyBudget {
            policy::check_daily_budget(guardrails.as_ref(), caps.as_ref(), &account.id, &e.input, to).map_err(refused)?;
        }
        flags.extend(thresholds.flag(e.from.parse().ok(), to).map(|f| match (e.field, f) {
            (Field::BidAmount, Flag::BudgetIncrease { from_minor, to_minor, threshold }) => Flag::BidIncrease { from_minor, to_minor, threshold },
            (_, f) => f,
        }));
    }
    Ok(flags)
}

/// What an apply action's `prepare` settled: the edits, on data synced at `data_as_of`, and the
/// kind of suggestion they came from (if any).
#[derive(Debug, Default)]
pub struct Ready {
    pub account: BoundAccount,
    pub edits: Vec<Edit>,
    pub data_as_of: String,
    pub suggestion_kind: Option<&'static str>,
}

impl Ready {
    /// Makes the edits and records them under a new optimisation id.
    pub async fn apply(self, cx: &Cx<'_>) -> Result<Change, Failure> {
        let origin = Origin { suggestion_kind: self.suggestion_kind, data_as_of: Some(&self.data_as_of) };
        carry_out(cx, &self.account, &self.edits, Some(origin), Vec::new(), json!({ "data_as_of": self.data_as_of })).await
    }
}

/// What an apply records besides its edits.
pub struct Origin<'a> {
    pub suggestion_kind: Option<&'a str>,
    pub data_as_of: Option<&'a str>,
}

/// Makes the edits on Meta, lowering before raising (so the account never holds more budget
/// than before or after), then reads the objects back in one batch. If Meta refuses one, the
/// edits already made are put back and the change is refused with Meta's error: an optimisation
/// is made whole or not at all. Returns the change with the mirror rows and, when `origin` is
/// given, the snapshot rows under a new optimisation id (`extra` rows join the same batch).
pub async fn carry_out(
    cx: &Cx<'_>,
    account: &BoundAccount,
    edits: &[Edit],
    origin: Option<Origin<'_>>,
    extra: Vec<Query>,
    mut body: Value,
) -> Result<Change, Failure> {
    let mut order: Vec<&Edit> = edits.iter().collect();
    order.sort_by_key(|e| !e.lowers());
    let before: Vec<Value> = edits.iter().map(|e| json!({ "object_id": e.object_id, e.field.as_str(): e.from })).collect();
    let external_id = (edits.len() == 1).then(|| edits[0].object_id.clone());
    let mut record = Record { ad_account_id: Some(account.id.clone()), external_id, before: Some(json!(before)), after: None };
    let mut made: Vec<&Edit> = Vec::new();
    for e in order {
        if let Err(failure) = graph_write(cx, account, "POST", &e.object_id, &e.field.params(&e.to)).await {
            let mut undone = Vec::new();
            for m in made.iter().rev() {
                let back = graph_write(cx, account, "POST", &m.object_id, &m.field.params(&m.from)).await;
                undone.push(json!({ "object_id": m.object_id, "field": m.field.as_str(), "put_back": back.is_ok() }));
            }
            record.after = Some(json!({ "refused": e.object_id, "undone": undone }));
            return Change::refused(failure, record);
        }
        made.push(e);
    }
    let kinds: Vec<(String, String, ObjectKind)> = dedup(edits.iter().map(|e| (e.input.clone(), e.object_id.clone(), e.field.kind())).collect());
    let calls: Vec<BatchCall> = kinds.iter().map(|(_, id, kind)| BatchCall::get(id.clone(), &[("fields".to_string(), kind.fields())])).collect();
    let answers = graph_batch(cx, account, &calls).await.unwrap_or_default();
    let mut writes = extra;
    let mut after = Vec::new();
    for ((_, id, kind), answer) in kinds.iter().zip(answers) {
        if let Ok(object) = batch_answer(answer) {
            writes.extend(mirror(cx, account, *kind, &object));
            after.push(object);
        } else {
            after.push(json!({ "id": id }));
        }
    }
    record.after = Some(json!(edits.iter().map(|e| json!({ "object_id": e.object_id, e.field.as_str(): e.to })).collect::<Vec<_>>()));
    if let Some(origin) = origin {
        let id = new_id("opt");
        let now = cx.ports.now_millis();
        for e in edits {
            let row = Row {
                id: id.clone(),
                ad_account_id: account.id.clone(),
                action: cx.meta.name().into(),
                object_kind: e.field.kind().as_str().into(),
                object_id: e.object_id.clone(),
                field: e.field.as_str().into(),
                before_value: e.from.clone(),
                after_value: e.to.clone(),
                suggestion_kind: origin.suggestion_kind.map(str::to_string),
                data_as_of: origin.data_as_of.map(str::to_string),
                applied_by: cx.exec.person(),
                applied_at: crate::timefmt::iso_from_millis(now),
                applied_at_ms: now,
                rolled_back_at: None,
                rolled_back_by: None,
            };
            writes.push(optimizations::insert(cx.workspace, &row));
        }
        body["optimization_id"] = json!(id);
        body["rollback_with"] = json!({ "action": "rollback_optimization", "input": { "optimization_id": id } });
    }
    body["ad_account_id"] = json!(account.id);
    body["changes"] =
        json!(edits.iter().map(|e| json!({ "object_id": e.object_id, "field": e.field.as_str(), "from": e.from, "to": e.to })).collect::<Vec<_>>());
    body["objects"] = json!(after);
    Ok(Change::done(200, body, writes, record))
}

fn dedup(mut v: Vec<(String, String, ObjectKind)>) -> Vec<(String, String, ObjectKind)> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|(_, id, _)| seen.insert(id.clone()));
    v
}
