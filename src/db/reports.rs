//! `report_jobs` and `report_schedules`: reports asked for, their state and where their CSV is,
//! and the reports that repeat.

use crate::binds;
use crate::failure::Failure;
use crate::ports::{Ports, Query};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Job {
    pub id: String,
    pub workspace_id: String,
    pub ad_account_id: String,
    pub schedule_id: Option<String>,
    pub spec_json: String,
    pub status: String,
    pub row_count: Option<i64>,
    pub byte_count: Option<i64>,
    pub sha256: Option<String>,
    pub object_key: Option<String>,
    pub peak_memory_bytes: Option<i64>,
    pub error: Option<String>,
    pub attempts: i64,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

pub fn insert_job(ws: &str, id: &str, account: &str, schedule: Option<&str>, spec_json: &str, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO report_jobs (id, workspace_id, ad_account_id, schedule_id, spec_json, status, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7)",
        binds![id, ws, account, schedule, spec_json, by, now],
    )
}

/// One of the workspace's reports.
pub async fn get(ports: &dyn Ports, ws: &str, id: &str) -> Result<Option<Job>, Failure> {
    super::first(ports, Query::new("SELECT * FROM report_jobs WHERE workspace_id = ?1 AND id = ?2", binds![ws, id])).await
}

/// A report by id alone, for its consumer.
pub async fn by_id(ports: &dyn Ports, id: &str) -> Result<Option<Job>, Failure> {
    super::first(ports, Query::new("SELECT * FROM report_jobs WHERE id = ?1", binds![id])).await
}

/// Marks a queued (or abandoned running) report as running, counting the attempt.
pub fn start(id: &str, now: &str) -> Query {
    Query::new(
        "UPDATE report_jobs SET status = 'running', attempts = attempts + 1, started_at = ?2, error = NULL, updated_at = ?2 WHERE id = ?1 AND status IN ('queued', 'running')",
        binds![id, now],
    )
}

pub struct Produced<'a> {
    pub rows: i64,
    pub bytes: i64,
    pub sha256: &'a str,
    pub object_key: &'a str,
    pub peak_memory_bytes: Option<i64>,
}

pub fn succeed(id: &str, p: &Produced<'_>, now: &str) -> Query {
    Query::new(
        "UPDATE report_jobs SET status = 'succeeded', row_count = ?2, byte_count = ?3, sha256 = ?4, object_key = ?5, peak_memory_bytes = ?6, \
         finished_at = ?7, updated_at = ?7 WHERE id = ?1",
        binds![id, p.rows, p.bytes, p.sha256, p.object_key, p.peak_memory_bytes, now],
    )
}

pub fn fail(id: &str, error: &str, now: &str) -> Query {
    Query::new("UPDATE report_jobs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1", binds![id, error, now])
}

/// Reports whose message was lost: queued for longer than `stale_before`, or running since then
/// (a consumer that stopped) with attempts left.
pub async fn stalled(ports: &dyn Ports, stale_before: &str, max_attempts: i64) -> Result<Vec<Job>, Failure> {
    super::all(
        ports,
        Query::new(
            "SELECT * FROM report_jobs WHERE status IN ('queued', 'running') AND updated_at < ?1 AND attempts < ?2 ORDER BY updated_at LIMIT 100",
            binds![stale_before, max_attempts],
        ),
    )
    .await
}

/// Touches a stalled report so the next sweep leaves it alone while its new message is handled.
pub fn touch(id: &str, now: &str) -> Query {
    Query::new("UPDATE report_jobs SET updated_at = ?2 WHERE id = ?1", binds![id, now])
}

/// Reports out of attempts that still look unfinished: failed for good.
pub fn give_up(stale_before: &str, max_attempts: i64, now: &str) -> Query {
    Query::new(
        "UPDATE report_jobs SET status = 'failed', error = 'the report could not be produced in ' || attempts || ' attempts', finished_at = ?3, updated_at = ?3 \
         WHERE status IN ('queued', 'running') AND updated_at < ?1 AND attempts >= ?2",
        binds![stale_before, max_attempts, now],
    )
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub struct Schedule {
    pub id: String,
    pub workspace_id: String,
    pub ad_account_id: String,
    pub spec_json: String,
    pub every: String,
    pub last_days: i64,
    pub next_run_at: String,
    pub last_job_id: Option<String>,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
}

pub struct NewSchedule<'a> {
    pub id: &'a str,
    pub account: &'a str,
    pub spec_json: &'a str,
    pub every: &'a str,
    pub last_days: i64,
    pub next_run_at: &'a str,
    pub first_job: &'a str,
}

pub fn insert_schedule(ws: &str, s: &NewSchedule<'_>, by: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO report_schedules (id, workspace_id, ad_account_id, spec_json, every, last_days, next_run_at, last_job_id, status, created_by, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9, ?10, ?10)",
        binds![s.id, ws, s.account, s.spec_json, s.every, s.last_days, s.next_run_at, s.first_job, by, now],
    )
}

pub async fn schedule(ports: &dyn Ports, ws: &str, id: &str) -> Result<Option<Schedule>, Failure> {
    super::first(ports, Query::new("SELECT * FROM report_schedules WHERE workspace_id = ?1 AND id = ?2", binds![ws, id])).await
}

pub fn stop_schedule(ws: &str, id: &str, now: &str) -> Query {
    Query::new("UPDATE report_schedules SET status = 'stopped', updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2", binds![ws, id, now])
}

/// Active schedules whose next run is due.
pub async fn due(ports: &dyn Ports, now: &str) -> Result<Vec<Schedule>, Failure> {
    super::all(ports, Query::new("SELECT * FROM report_schedules WHERE status = 'active' AND next_run_at <= ?1 ORDER BY next_run_at LIMIT 200", binds![now]))
        .await
}

/// A schedule's run, made only if the schedule is still due at `s.next_run_at`: with `advance`
/// in the same batch, two ticks never make two jobs for one run.
pub fn insert_scheduled_run(s: &Schedule, id: &str, spec_json: &str, now: &str) -> Query {
    Query::new(
        "INSERT INTO report_jobs (id, workspace_id, ad_account_id, schedule_id, spec_json, status, created_by, created_at, updated_at) \
         SELECT ?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7 WHERE EXISTS (SELECT 1 FROM report_schedules WHERE id = ?4 AND next_run_at = ?8 AND status = 'active')",
        binds![id, s.workspace_id.as_str(), s.ad_account_id.as_str(), s.id.as_str(), spec_json, s.created_by.as_str(), now, s.next_run_at.as_str()],
    )
}

/// Records a schedule's run: its job and when the next one is due. Only the run that still sees
/// `was_due` moves it on, so two ticks never make two jobs for one run.
pub fn advance(id: &str, was_due: &str, next: &str, job: &str, now: &str) -> Query {
    Query::new(
        "UPDATE report_schedules SET next_run_at = ?3, last_job_id = ?4, updated_at = ?5 WHERE id = ?1 AND next_run_at = ?2 AND status = 'active'",
        binds![id, was_due, next, job, now],
    )
}
