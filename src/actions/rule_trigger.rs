//! What starts a rule's run: new data (after each insights sync of the account) and the clock
//! (the 15-minute tick starts hourly and daily rules that are due, and sends again the runs whose
//! message was lost). A run's id is fixed by what started it, so nothing starts twice.

use crate::db::rules;
use crate::failure::Failure;
use crate::ports::{Job, Ports};
use crate::rules::spec::RuleSpec;
use crate::timefmt::{iso_from_millis, millis_from_iso};

/// A queued run untouched this long lost its message.
const STALE_MS: i64 = 15 * 60_000;

/// After an insights sync (`sync_run_id`) of an account: a run of each rule on new data.
pub async fn after_sync(ports: &dyn Ports, ws: &str, account: &str, sync_run_id: &str) -> Result<usize, Failure> {
    let now = ports.now_iso();
    let due = rules::on_sync(ports, ws, account).await?;
    let ids: Vec<String> = due.iter().map(|r| format!("rrun_{}_{sync_run_id}", r.id.trim_start_matches("rul_"))).collect();
    let inserts = due.iter().zip(&ids).map(|(r, id)| rules::insert_run(ws, id, &r.id, "sync", &now)).collect();
    ports.batch(inserts).await?;
    for id in &ids {
        ports.enqueue(Job::RuleRun(id.clone())).await?;
    }
    Ok(ids.len())
}

/// The tick's part: due scheduled rules start a run and move to their next time; lost runs
/// are sent again. Returns (started, sent again).
pub async fn tick(ports: &dyn Ports) -> Result<(usize, usize), Failure> {
    let now_ms = ports.now_millis();
    let now = iso_from_millis(now_ms);
    let mut writes = Vec::new();
    let mut jobs = Vec::new();
    for rule in rules::due(ports, &now).await? {
        let Some(was) = rule.next_run_at.clone() else { continue };
        let Ok(spec) = serde_json::from_str::<RuleSpec>(&rule.spec) else { continue };
        let (_, tz) = crate::db::insights_read::freshness(ports, &rule.workspace_id, &rule.ad_account_id).await?;
        // The next run keeps the rule's rhythm; runs missed while down are not made up.
        let Some(next) = spec.next_run_ms(&tz, now_ms) else { continue };
        let id = format!("rrun_{}_{}", rule.id.trim_start_matches("rul_"), millis_from_iso(&was).unwrap_or(now_ms));
        writes.push(rules::insert_run(&rule.workspace_id, &id, &rule.id, "schedule", &now));
        writes.push(rules::advance(&rule.id, &was, &iso_from_millis(next), &now));
        jobs.push(Job::RuleRun(id));
    }
    let started = jobs.len();
    for id in rules::stalled(ports, &iso_from_millis(now_ms - STALE_MS)).await? {
        writes.push(rules::touch_run(&id, &now));
        jobs.push(Job::RuleRun(id));
    }
    if !writes.is_empty() {
        ports.batch(writes).await?;
    }
    let resent = jobs.len() - started;
    for job in jobs {
        ports.enqueue(job).await?;
    }
    Ok((started, resent))
}
