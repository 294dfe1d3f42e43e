//! What a rule sees and decides now: its objects from the mirror, their sums over its window,
//! and a decision for each that matches, within the rule's cooldown and caps. A run acts on it;
//! a dry run shows it.

use super::evaluate::{self, Decision, Figures};
use super::spec::RuleSpec;
use crate::binds;
use crate::db::insights_read::{self, Ask, Source};
use crate::db::rules::{self, Rule};
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use crate::sync::insights::{last_whole_days, today_in};
use serde::Deserialize;
use serde_json::{json, Value};

/// The most objects one run reads.
const MAX_OBJECTS: i64 = 500;

/// What a rule sees now and decides: the figures, each matched object's decision, and when the
/// data was synced.
pub struct Evaluation {
    pub data_as_of: Option<String>,
    pub since: String,
    pub until: String,
    pub figures: Vec<Figures>,
    pub inputs: Vec<Value>,
    pub decisions: Vec<(String, Decision)>,
}

#[derive(Deserialize)]
struct ObjectRow {
    id: String,
    name: Option<String>,
    status: Option<String>,
    daily_budget: Option<i64>,
    creative_id: Option<String>,
    adset_id: Option<String>,
}

/// Reads the rule's objects and their sums over its window, and decides for each one that
/// matches, within the rule's cooldown and caps as of now.
pub async fn evaluate_now(ports: &dyn Ports, rule: &Rule, spec: &RuleSpec) -> Result<Evaluation, Failure> {
    let (resting, room) = limits(ports, rule, spec).await?;
    let ws = rule.workspace_id.as_str();
    let (synced, tz) = insights_read::freshness(ports, ws, &rule.ad_account_id).await?;
    let today = today_in(&tz, ports.now_millis()).map_err(Failure::Internal)?;
    let days = spec.window_days.get();
    let (since, until) = if days == 0 { (today, today) } else { last_whole_days(today, days) };
    let (since, until) = (since.to_string(), until.to_string());
    let mut sql = format!("{} WHERE workspace_id = ?1 AND ad_account_id = ?2 AND status IN ('ACTIVE', 'PAUSED')", spec.level.objects_sql());
    let mut b = binds![ws, rule.ad_account_id.as_str(), MAX_OBJECTS];
    if let Some(ids) = &spec.object_ids {
        let ids: Vec<&str> = ids.items().iter().map(|i| i.as_str()).collect();
        b.push(json!(ids).to_string().into());
        sql.push_str(" AND id IN (SELECT value FROM json_each(?4))");
    }
    sql.push_str(" ORDER BY id LIMIT ?3");
    let objects: Vec<ObjectRow> = crate::db::all(ports, Query::new(sql, b)).await?;
    let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).collect();
    let mut ask = Ask::adsets_over(ws, &rule.ad_account_id, Source::Daily, (&since, &until), &ids, MAX_OBJECTS + 1);
    ask.level = spec.level.insights();
    let rows = if ids.is_empty() { Vec::new() } else { insights_read::rows(ports, &ask).await? };
    let mut figures: Vec<Figures> = objects
        .into_iter()
        .map(|o| Figures {
            sums: rows.iter().find(|r| r.object_id.as_deref() == Some(o.id.as_str())).map(|r| r.sums).unwrap_or_default(),
            object_id: o.id,
            name: o.name,
            status: o.status.unwrap_or_default(),
            daily_budget: o.daily_budget,
            creative_id: o.creative_id,
            adset_id: o.adset_id,
            days: days.max(1),
        })
        .collect();
    // The biggest spenders first: when a cap stops the run, what it did mattered most.
    figures.sort_by(|a, b| b.sums.spend_minor.cmp(&a.sums.spend_minor).then_with(|| a.object_id.cmp(&b.object_id)));
    let (mut inputs, mut decisions, mut room) = (Vec::new(), Vec::new(), room);
    for f in &figures {
        let (matched, tests) = evaluate::matches(spec, f);
        inputs.push(json!({ "object_id": f.object_id, "name": f.name, "status": f.status, "daily_budget_minor": f.daily_budget,
            "spend_minor": f.sums.spend_minor, "impressions": f.sums.impressions, "clicks": f.sums.clicks, "leads": f.sums.leads,
            "reach": f.sums.reach, "matched": matched, "conditions": tests }));
        if !matched {
            continue;
        }
        let decision = match evaluate::decide(spec, f, &figures) {
            Decision::Skip(why) => Decision::Skip(why),
            _ if resting.contains(&f.object_id) => Decision::Skip(format!("the rule acted on it within its {}-minute cooldown", spec.cooldown_minutes())),
            _ if room <= 0 => Decision::Skip("the rule's cap on actions (per run or per 24 hours) is reached".into()),
            d => {
                room -= 1;
                d
            }
        };
        decisions.push((f.object_id.clone(), decision));
    }
    Ok(Evaluation { data_as_of: synced, since, until, figures, inputs, decisions })
}

/// A decision as a run records it (and a dry run shows it).
pub fn describe(object_id: &str, d: &Decision) -> Value {
    match d {
        Decision::Notify => json!({ "object_id": object_id, "decision": "notify" }),
        Decision::Act(e) => json!({ "object_id": object_id, "decision": "act", "field": e.field, "from": e.from, "to": e.to }),
        Decision::Skip(why) => json!({ "object_id": object_id, "decision": "skip", "reason": why }),
    }
}

/// The rule's cooldown and caps as of now: the objects still resting and the room left.
async fn limits(ports: &dyn Ports, rule: &Rule, spec: &RuleSpec) -> Result<(Vec<String>, i64), Failure> {
    let now = ports.now_millis();
    let (resting, today) = rules::recent_actions(ports, &rule.id, now - spec.cooldown_minutes().saturating_mul(60_000), now - 86_400_000).await?;
    Ok((resting, spec.max_per_run().min(spec.max_per_day() - today)))
}
