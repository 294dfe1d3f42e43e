//! Suggestions: what the suggest actions hand out and the apply actions take back by id. A
//! suggestion is sealed (see `sealed`), not stored: the suggest tier writes nothing, and its id
//! carries the workspace, the account, the data it was computed from, when it expires and the
//! exact changes, none of which a caller can alter.

use crate::actions::action::Cx;
use crate::actions::recruiter_paid_media::bad;
use crate::domain::MetaId;
use crate::failure::Failure;
use crate::ports::Query;
use crate::problem::Problem;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const PURPOSE: &str = "suggestion";
/// A suggestion is good for a day; the freshness threshold still holds when it is applied.
pub const LIFETIME_MS: i64 = 86_400_000;
/// The longest suggestion id accepted (50 changes fit well within it).
pub const MAX_ID_CHARS: usize = 8_192;

/// One suggested change: the object, the value it had when suggested, the value suggested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposed(pub String, pub String, pub String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    #[serde(rename = "k")]
    pub kind: String,
    #[serde(rename = "w")]
    pub workspace: String,
    #[serde(rename = "a")]
    pub account: String,
    #[serde(rename = "d")]
    pub data_as_of: String,
    #[serde(rename = "x")]
    pub expires_ms: i64,
    #[serde(rename = "c")]
    pub changes: Vec<Proposed>,
}

impl Suggestion {
    pub fn new(cx: &Cx<'_>, kind: &str, account: &str, data_as_of: &str, changes: Vec<Proposed>) -> Suggestion {
        Suggestion {
            kind: kind.into(),
            workspace: cx.workspace.into(),
            account: account.into(),
            data_as_of: data_as_of.into(),
            expires_ms: cx.ports.now_millis().saturating_add(LIFETIME_MS),
            changes,
        }
    }

    /// Puts the suggestion in an answer: its id, expiry and the call that applies it (`apply`),
    /// or a null id when it suggests no change.
    pub fn offer(&self, cx: &Cx<'_>, body: &mut Value, apply: &str) -> Result<(), Failure> {
        if self.changes.is_empty() {
            body["suggestion_id"] = Value::Null;
            return Ok(());
        }
        let id = cx.ports.seal(PURPOSE, &json!(self))?;
        body["expires_at"] = json!(crate::timefmt::iso_from_millis(self.expires_ms));
        body["apply_with"] = json!({ "action": apply, "input": { "ad_account_id": format!("act_{}", self.account), "suggestion_id": id } });
        body["suggestion_id"] = json!(id);
        Ok(())
    }

    /// The suggestion `id` names, if adgate made it for this workspace, account and kind and it
    /// has not expired; otherwise a 422 naming `field` (another workspace's id says no more).
    pub fn open(cx: &Cx<'_>, field: &str, id: &str, kind: &str, account: &str) -> Result<Suggestion, Failure> {
        let opened = cx.ports.open(PURPOSE, id)?.and_then(|v| serde_json::from_value::<Suggestion>(v).ok());
        let s = opened.filter(|s| s.workspace == cx.workspace).ok_or_else(|| bad(field, "is not a suggestion adgate made for this workspace"))?;
        if s.kind != kind {
            return Err(bad(field, format!("is a {} suggestion, not a {kind} one", s.kind)));
        }
        if s.account != account {
            return Err(bad(field, format!("was made for act_{}, not act_{account}", s.account)));
        }
        if cx.ports.now_millis() > s.expires_ms {
            let mut p = Problem::new(
                "suggestion-expired",
                "Suggestion Expired",
                409,
                format!("{field}: expired at {}; ask for a new one", crate::timefmt::iso_from_millis(s.expires_ms)),
            );
            p.field = Some(field.into());
            return Err(p.into());
        }
        Ok(s)
    }
}

/// An active ad set with a daily budget.
#[derive(Debug, Clone, Deserialize)]
pub struct AdSetRow {
    pub id: String,
    pub name: Option<String>,
    pub daily_budget: i64,
}

/// The account's active ad sets with a daily budget (of one campaign, if named): at most 200,
/// else the caller is asked to name a campaign.
pub async fn active_ad_sets(cx: &Cx<'_>, account: &str, campaign: Option<&MetaId>) -> Result<Vec<AdSetRow>, Failure> {
    let mut sql =
        "SELECT id, name, daily_budget FROM meta_ad_sets WHERE workspace_id = ?1 AND ad_account_id = ?2 AND effective_status = 'ACTIVE' AND daily_budget > 0"
            .to_string();
    let mut binds = crate::binds![cx.workspace, account];
    if let Some(c) = campaign {
        sql.push_str(" AND campaign_id = ?3");
        binds.push(c.as_str().into());
    }
    sql.push_str(" ORDER BY id LIMIT 201");
    let sets: Vec<AdSetRow> = crate::db::all(cx.ports, Query::new(sql, binds)).await?;
    if sets.len() > 200 {
        return Err(bad("campaign_id", "more than 200 active ad sets: name a campaign"));
    }
    Ok(sets)
}

/// The kind of a budget reallocation suggestion (what `apply_budget_reallocation` takes).
pub const REALLOCATION_KIND: &str = "budget_reallocation";

/// Puts a budget reallocation in an answer: each change (named from `sets`), the limits it kept
/// to, and the sealed suggestion `apply_budget_reallocation` takes.
pub fn offer_reallocation(
    cx: &Cx<'_>,
    account: &str,
    data_as_of: &str,
    sets: &[AdSetRow],
    moves: &[(String, i64, i64)],
    l: Limits,
    body: &mut Value,
) -> Result<(), Failure> {
    let name = |id: &str| sets.iter().find(|s| s.id == id).and_then(|s| s.name.clone());
    body["changes"] = moves
        .iter()
        .map(|(id, from, to)| json!({ "ad_set_id": id, "name": name(id), "from_minor": from, "to_minor": to, "change_minor": to - from }))
        .collect();
    body["limits"] = json!({ "max_shift_pct": l.shift_pct, "min_budget_minor": l.min_budget, "max_budget_minor": l.max_budget });
    let proposed = moves.iter().map(|(id, from, to)| Proposed(id.clone(), from.to_string(), to.to_string())).collect();
    Suggestion::new(cx, REALLOCATION_KIND, account, data_as_of, proposed).offer(cx, body, "apply_budget_reallocation")
}

/// An ad set's budget and what it bought over the look-back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdSetResult {
    pub id: String,
    pub daily_budget: i64,
    pub spend: i64,
    pub leads: i64,
}

/// How far a reallocation may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The share of a donor's budget moved, in percent.
    pub shift_pct: i64,
    /// No budget goes below this.
    pub min_budget: i64,
    /// No budget goes above this (the guardrail or the account's cap).
    pub max_budget: Option<i64>,
}

/// A donor spent at least 20% more per lead than the group (or a lead's worth with no lead); a
/// recipient at least 20% less. Compared as cross products in i128 (saturating: no division,
/// no overflow, whatever the sums).
fn is_donor(a: &AdSetResult, spend: i64, leads: i64) -> bool {
    let (s, l, ts, tl) = (i128::from(a.spend), i128::from(a.leads), i128::from(spend), i128::from(leads));
    if l == 0 {
        return s > 0 && s.saturating_mul(tl) >= ts;
    }
    s.saturating_mul(tl).saturating_mul(10) > ts.saturating_mul(l).saturating_mul(12)
}

fn is_recipient(a: &AdSetResult, spend: i64, leads: i64) -> bool {
    let (s, l, ts, tl) = (i128::from(a.spend), i128::from(a.leads), i128::from(spend), i128::from(leads));
    l > 0 && s > 0 && s.saturating_mul(tl).saturating_mul(12) < ts.saturating_mul(l).saturating_mul(10)
}

/// Moves `shift_pct` of each donor's budget to the recipients, in proportion to the leads each
/// bought per unit spent, within the limits. The total daily budget is the same before and
/// after, to the minor unit. Returns (id, from, to) for each ad set whose budget changes.
pub fn reallocate(sets: &[AdSetResult], l: Limits) -> Vec<(String, i64, i64)> {
    let spend: i64 = sets.iter().map(|a| a.spend).fold(0, i64::saturating_add);
    let leads: i64 = sets.iter().map(|a| a.leads).fold(0, i64::saturating_add);
    if leads == 0 || spend == 0 {
        return Vec::new();
    }
    let mut to: Vec<i64> = sets.iter().map(|a| a.daily_budget).collect();
    let donors: Vec<usize> = (0..sets.len()).filter(|&i| is_donor(&sets[i], spend, leads)).collect();
    let mut recipients: Vec<usize> = (0..sets.len()).filter(|&i| is_recipient(&sets[i], spend, leads)).collect();
    if donors.is_empty() || recipients.is_empty() {
        return Vec::new();
    }
    // Most leads per unit spent first.
    recipients.sort_by(|&a, &b| (i128::from(sets[b].leads) * i128::from(sets[a].spend)).cmp(&(i128::from(sets[a].leads) * i128::from(sets[b].spend))));
    let pool_share = |pool: i64, w: i128, total: i128| (pool as f64 * (w as f64 / total as f64)).floor() as i64;
    let headroom = |i: usize, to: &[i64]| l.max_budget.unwrap_or(i64::MAX).saturating_sub(to[i]).max(0);
    let mut taken: Vec<(usize, i64)> = Vec::new();
    for &d in &donors {
        let b = sets[d].daily_budget;
        let shift = (i128::from(b) * i128::from(l.shift_pct) / 100).min(i128::from(b.saturating_sub(l.min_budget)));
        let shift = i64::try_from(shift.max(0)).unwrap_or(0);
        if shift > 0 {
            to[d] -= shift;
            taken.push((d, shift));
        }
    }
    let pool: i64 = taken.iter().map(|(_, s)| *s).fold(0, i64::saturating_add);
    // Weights: leads per unit spent, scaled so integer shares stay precise.
    let weight = |i: usize| i128::from(sets[i].leads) * 1_000_000_000 / i128::from(sets[i].spend.max(1));
    let total_weight: i128 = recipients.iter().map(|&i| weight(i)).sum::<i128>().max(1);
    let mut left = pool;
    for &r in &recipients {
        // Shares are rounded down (floats: exactness comes from placing what is left below).
        let share = pool_share(pool, weight(r), total_weight).clamp(0, left).min(headroom(r, &to));
        to[r] += share;
        left -= share;
    }
    for &r in &recipients {
        let more = left.min(headroom(r, &to));
        to[r] += more;
        left -= more;
    }
    // What no recipient could take goes back to the donors it came from, last first.
    for (d, shift) in taken.iter().rev() {
        let back = left.min(*shift);
        to[*d] += back;
        left -= back;
    }
    sets.iter().zip(to).filter(|(a, t)| a.daily_budget != *t).map(|(a, t)| (a.id.clone(), a.daily_budget, t)).collect()
}

/// Leads a day the budgets would buy at each ad set's own cost per lead so far (a straight line:
/// the answer says it is an estimate, as delivery rarely scales evenly).
pub fn leads_per_day(sets: &[AdSetResult], budget: impl Fn(&AdSetResult) -> i64) -> f64 {
    // `+ 0.0`: an empty sum is negative zero.
    sets.iter().filter(|a| a.spend > 0).map(|a| budget(a) as f64 * a.leads as f64 / a.spend as f64).sum::<f64>() + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn set(id: &str, daily_budget: i64, spend: i64, leads: i64) -> AdSetResult {
        AdSetResult { id: id.into(), daily_budget, spend, leads }
    }

    #[test]
    fn budget_moves_from_dear_leads_to_cheap_ones_keeping_the_total_to_the_cent() {
        // CPLs: a 10.00, b 50.00, c 20.00 (group 19.41), d nothing for 30.00.
        let sets = [set("a", 10_000, 10_000, 10), set("b", 10_000, 10_000, 2), set("c", 10_000, 10_000, 5), set("d", 5_000, 3_000, 0)];
        let moves = reallocate(&sets, Limits { shift_pct: 20, min_budget: 100, max_budget: None });
        let find = |id: &str| moves.iter().find(|m| m.0 == id).map(|m| m.2);
        assert_eq!(find("b"), Some(8_000));
        assert_eq!(find("d"), Some(4_000));
        assert_eq!(find("c"), None, "c is within 20% of the group");
        assert_eq!(find("a"), Some(13_000));
        let before: i64 = sets.iter().map(|s| s.daily_budget).sum();
        let after: i64 = sets.iter().map(|s| find(&s.id).unwrap_or(s.daily_budget)).sum();
        assert_eq!(before, after);
        assert!(leads_per_day(&sets, |s| find(&s.id).unwrap_or(s.daily_budget)) > leads_per_day(&sets, |s| s.daily_budget));
    }

    #[test]
    fn limits_hold_and_what_cannot_be_placed_stays_with_the_donor() {
        let sets = [set("a", 10_000, 10_000, 10), set("b", 10_000, 10_000, 1)];
        let moves = reallocate(&sets, Limits { shift_pct: 50, min_budget: 100, max_budget: Some(11_000) });
        assert_eq!(moves, vec![("a".to_string(), 10_000, 11_000), ("b".to_string(), 10_000, 9_000)]);
        let floor = reallocate(&[set("a", 1_000, 1_000, 10), set("b", 150, 10_000, 1)], Limits { shift_pct: 50, min_budget: 100, max_budget: None });
        assert_eq!(floor, vec![("a".to_string(), 1_000, 1_050), ("b".to_string(), 150, 100)]);
    }

    #[test]
    fn nothing_is_suggested_without_leads_a_clear_donor_and_a_clear_recipient() {
        let l = Limits { shift_pct: 20, min_budget: 100, max_budget: None };
        assert!(reallocate(&[set("a", 1_000, 1_000, 0), set("b", 1_000, 1_000, 0)], l).is_empty());
        assert!(reallocate(&[set("a", 1_000, 1_000, 10), set("b", 1_000, 1_050, 10)], l).is_empty());
        assert!(reallocate(&[], l).is_empty());
        // Extremes do not overflow.
        let big = i64::MAX / 4;
        let moves = reallocate(&[set("a", big, big, 1), set("b", big, big, i64::MAX / 2)], l);
        assert_eq!(moves.iter().map(|m| m.2 - m.1).sum::<i64>(), 0);
    }
}
