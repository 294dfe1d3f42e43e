//! One sync job, run by the queue consumer through the account's gate: structure mirrors
//! (account-level edges, incremental on `updated_time`, or just the objects a webhook named) or
//! insights (ad-level daily facts over a window, per breakdown set, then the daily aggregates
//! of the days touched, then validation against Meta's account totals).
//!
//! Every page is committed in one D1 batch together with the run's progress (phase, cursor,
//! pages, rows, calls), so a run interrupted anywhere resumes from its last committed page when
//! the message is delivered again, and no page is half-written.

use super::d1::{int, new_id, now_iso, now_millis, opt_text, text};
use super::services::{governed, Services};
use crate::facts::Write;
use crate::failure::Failure;
use crate::graph::ErrorClass;
use crate::ports::Ports;
use crate::ports::{GraphCall, Scope};
use crate::sync::insights::{self as ins, Fact};
use crate::sync::structure::{self, ObjectKind};
use crate::sync_message::{SyncKind, SyncMessage};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

const STRUCTURE_PAGE: u32 = 500;
/// Insights rows per page, and days per request: a long window is pulled in slices so no one
/// request asks Meta for a huge report.
const INSIGHTS_PAGE: u32 = 2_000;
const INSIGHTS_SLICE_DAYS: i64 = 7;
/// A pull of at least this many rows (ads x days) uses async report runs (`ASYNC_REPORT_MIN_ROWS`).
const DEFAULT_ASYNC_REPORT_MIN_ROWS: i64 = 100_000;
/// Seconds between polls of a report run (`ASYNC_POLL_SECONDS`), and how many polls before the
/// pull is split instead.
const DEFAULT_ASYNC_POLL_SECONDS: i64 = 10;
const MAX_REPORT_POLLS: u32 = 60;
/// Facts per upsert statement (each statement binds its rows as one JSON text).
const FACTS_PER_STATEMENT: usize = 1_000;
/// How long a sync of partitioned facts waits while its account's copy is being checked.
const FACT_SETTLE_WAIT_SECONDS: i64 = 60;

/// Why a job stopped before it finished.
pub enum JobError {
    /// Try again later (Meta or the gate asked to wait, or a transient failure); progress is kept.
    Retry { reason: String, delay_seconds: u32 },
    /// Retrying cannot help (an invalid request): the run is failed.
    Permanent(String),
    /// Meta refused the token or its permissions (after the just-in-time refresh): the run is
    /// failed and the integration marked.
    Revoked(String),
    /// An async report run is not ready: the account's gate will send the message again.
    Waiting,
}

/// A fact object that failed: the page is retried (its write replaces itself).
fn fact_error(e: Failure) -> JobError {
    JobError::Retry { reason: e.summary(), delay_seconds: 10 }
}

impl From<worker::Error> for JobError {
    fn from(e: worker::Error) -> Self {
        JobError::Retry { reason: e.to_string(), delay_seconds: 10 }
    }
}

#[derive(Deserialize, Clone)]
struct Run {
    id: String,
    kind: String,
    trigger: String,
    status: String,
    phase: Option<String>,
    cursor: Option<String>,
    since_unix: Option<i64>,
    window_start: Option<String>,
    window_end: Option<String>,
    object_ids_json: Option<String>,
}

#[derive(Deserialize)]
struct Account {
    id: String,
    workspace_id: String,
    integration_id: Option<String>,
    currency: String,
    timezone_name: String,
    status: String,
}

/// The workspace's insights settings (defaults when none are stored).
struct Settings {
    breakdown_sets: Vec<Vec<String>>,
    windows: Vec<String>,
    backfill_days: i64,
    attribution_window_days: i64,
}

async fn settings(db: &D1Database, ws: &str) -> worker::Result<Settings> {
    let row = db.prepare("SELECT * FROM insights_settings WHERE workspace_id = ?1").bind(&[text(ws)])?.first::<Value>(None).await?;
    let parse = |k: &str| row.as_ref().and_then(|r| r[k].as_str()).and_then(|s| serde_json::from_str::<Value>(s).ok());
    let sets = parse("breakdown_sets_json").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let windows = parse("attribution_windows_json").and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default();
    let n = |k: &str, d: i64| row.as_ref().and_then(|r| r[k].as_i64()).unwrap_or(d);
    Ok(Settings {
        breakdown_sets: sets,
        windows,
        backfill_days: n("backfill_days", ins::DEFAULT_BACKFILL_DAYS),
        attribution_window_days: n("attribution_window_days", ins::DEFAULT_ATTRIBUTION_WINDOW_DAYS),
    })
}

/// Creates (or on redelivery, finds) the run for a message. A pre-created run (manual,
/// backfill) is continued by id.
async fn open_run(db: &D1Database, message_id: &str, msg: &SyncMessage) -> worker::Result<Run> {
    let now = now_iso();
    let stmt = match &msg.run_id {
        Some(id) => db
            .prepare(
                "UPDATE sync_runs SET attempts = attempts + CASE WHEN status = 'queued' THEN 0 ELSE 1 END, \
                 status = CASE WHEN status IN ('queued', 'running') THEN 'running' ELSE status END, \
                 queue_message_id = COALESCE(queue_message_id, ?2), updated_at = ?3 WHERE id = ?1 RETURNING *",
            )
            .bind(&[text(id), text(message_id), text(&now)])?,
        None => db
            .prepare(
                "INSERT INTO sync_runs (id, ad_account_id, workspace_id, kind, trigger, cron_run_id, queue_message_id, attempts, status, \
                   object_ids_json, started_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, 'running', ?8, ?9, ?9, ?9) \
                 ON CONFLICT (queue_message_id) DO UPDATE SET attempts = sync_runs.attempts + 1, updated_at = excluded.updated_at RETURNING *",
            )
            .bind(&[
                text(&new_id("sync")),
                text(&msg.ad_account_id),
                text(&msg.workspace_id),
                text(msg.kind.as_str()),
                text(msg.trigger.as_str()),
                opt_text(msg.cron_run_id.as_deref()),
                text(message_id),
                if msg.objects.is_empty() { JsValue::NULL } else { text(&json!(msg.objects).to_string()) },
                text(&now),
            ])?,
    };
    stmt.first::<Run>(None).await?.ok_or_else(|| worker::Error::RustError(format!("sync run {:?} not found", msg.run_id)))
}

/// Moves the run to `phase`/`cursor` and counts what the step did: rows written, pages read
/// (edge pages only) and Graph calls.
fn progress(db: &D1Database, run: &str, phase: &str, cursor: Option<&str>, rows: usize, pages: u32, calls: u32) -> worker::Result<D1PreparedStatement> {
    db.prepare(
        "UPDATE sync_runs SET phase = ?2, cursor = ?3, rows_written = rows_written + ?4, pages = pages + ?5, graph_calls = graph_calls + ?6, updated_at = ?7 WHERE id = ?1",
    )
    .bind(&[text(run), text(phase), opt_text(cursor), int(rows as i64), int(pages as i64), int(calls as i64), text(&now_iso())])
}

fn graph_error(e: Failure, rate_limited: &mut bool) -> JobError {
    let problem = e.to_problem();
    let reason = match &problem {
        Some(p) => format!("{} ({}){}", p.detail, p.status, p.extensions.get("graph_code").map(|c| format!(", Graph code {c}")).unwrap_or_default()),
        None => e.summary(),
    };
    match (e.graph_class(), problem.map(|p| (p.status, p.retry_after_seconds))) {
        (Some(ErrorClass::Throttled), _) | (None, Some((429, _))) => {
            *rate_limited = true;
            let wait = match &e {
                Failure::Problem(p) => p.retry_after_seconds.unwrap_or(60),
                _ => 60,
            };
            JobError::Retry { reason, delay_seconds: wait.clamp(1, 900) as u32 }
        }
        (Some(ErrorClass::Auth), _) | (None, Some((401, _))) => JobError::Revoked(reason),
        (Some(ErrorClass::Transient), _) => JobError::Retry { reason, delay_seconds: 5 },
        (Some(ErrorClass::Permanent), _) => JobError::Permanent(reason),
        (None, Some((status, _))) if status >= 500 => JobError::Retry { reason, delay_seconds: 5 },
        (None, Some(_)) => JobError::Permanent(reason),
        (None, None) => JobError::Retry { reason, delay_seconds: 5 },
    }
}

/// Turns one page of Graph rows into the statements that store it.
type PageWriter<'j> = dyn Fn(&Job<'j>, &[Value]) -> worker::Result<PageWrite> + 'j;

/// One page's writes: D1 statements (committed with the run's progress), and facts for the
/// account's fact object (written first: a page written again on a retry replaces itself).
#[derive(Default)]
struct PageWrite {
    d1: Vec<D1PreparedStatement>,
    object: Vec<Value>,
}

struct Job<'a> {
    svc: &'a Services,
    /// `SYNC_PAGE_LIMIT`, when set, overrides both page sizes (smaller pages, more commits).
    page_limit: Option<u32>,
    db: D1Database,
    run: Run,
    account: Account,
    rate_limited: bool,
}

impl<'a> Job<'a> {
    fn scope(&self) -> Scope<'_> {
        Scope {
            workspace_id: &self.account.workspace_id,
            integration_id: self.account.integration_id.as_deref(),
            ad_account_id: Some(&self.account.id),
            api_version: None,
        }
    }

    async fn get(&mut self, path: &str, params: &[(String, String)]) -> Result<Value, JobError> {
        let result = governed::call(self.svc, &self.scope(), GraphCall::Object(path), params).await;
        match result {
            Ok((v, _)) => Ok(v),
            Err(e) => Err(graph_error(e, &mut self.rate_limited)),
        }
    }

    /// Reads pages from the run's cursor on (the part after `prefix`), committing each with
    /// `write` and the progress; after the last page the run moves to `end`.
    #[allow(clippy::too_many_arguments)]
    async fn pages(
        &mut self,
        phase: &str,
        prefix: &str,
        path: &str,
        params: Vec<(String, String)>,
        write: &PageWriter<'a>,
        end: (&str, Option<String>),
    ) -> Result<(), JobError> {
        loop {
            let mut p = params.clone();
            if let Some(after) = self.run.cursor.as_deref().and_then(|c| c.strip_prefix(prefix)).filter(|a| !a.is_empty()) {
                p.push(("after".into(), after.to_string()));
            }
            let body = self.get(path, &p).await?;
            let data = body["data"].as_array().cloned().unwrap_or_default();
            let next = body["paging"]["next"].as_str().and(body["paging"]["cursors"]["after"].as_str()).map(|a| format!("{prefix}{a}"));
            let PageWrite { d1: mut stmts, object } = write(self, &data)?;
            if !object.is_empty() {
                let upsert = crate::ports::Query::new(ins::upsert_page_sql(), vec![Value::Array(object).to_string().into()]);
                self.svc.fact_object(&self.account.id, vec![upsert]).await.map_err(fact_error)?;
            }
            let (to_phase, cursor) = match &next {
                Some(c) => (phase, Some(c.clone())),
                None => (end.0, end.1.clone()),
            };
            stmts.push(progress(&self.db, &self.run.id, to_phase, cursor.as_deref(), data.len(), 1, 1)?);
            self.db.batch(stmts).await?;
            self.run.phase = Some(to_phase.to_string());
            self.run.cursor = cursor;
            if next.is_none() {
                return Ok(());
            }
        }
    }

    fn structure_page(&self, kind: ObjectKind, objects: &[Value]) -> worker::Result<Vec<D1PreparedStatement>> {
        let now = now_iso();
        let rows: Vec<Value> = objects
            .iter()
            .filter_map(|o| structure::row(kind, o, &self.account.id, &self.account.workspace_id, &self.run.id, &now).ok().map(Value::from))
            .collect();
        if rows.is_empty() {
            return Ok(vec![]);
        }
        Ok(vec![self.db.prepare(kind.upsert_page_sql()).bind(&[text(&Value::Array(rows).to_string())])?])
    }

    async fn structure(&mut self) -> Result<String, JobError> {
        if let Some(objects) = self.run.object_ids_json.clone() {
            return self.targeted(&objects).await;
        }
        let since = match self.run.since_unix {
            Some(s) => s,
            None => {
                let row = self
                    .db
                    .prepare("SELECT structure_synced_unix FROM sync_state WHERE ad_account_id = ?1")
                    .bind(&[text(&self.account.id)])?
                    .first::<Value>(None)
                    .await?;
                let s = row.and_then(|r| r["structure_synced_unix"].as_i64()).unwrap_or(0);
                self.db.prepare("UPDATE sync_runs SET since_unix = ?2 WHERE id = ?1").bind(&[text(&self.run.id), int(s)])?.run().await?;
                self.run.since_unix = Some(s);
                s
            }
        };
        let order = ObjectKind::ALL;
        let start = self
            .run
            .phase
            .as_deref()
            .and_then(ObjectKind::parse)
            .map(|k| order.iter().position(|x| *x == k).unwrap_or(0))
            .unwrap_or(if self.run.phase.as_deref() == Some("done") { order.len() } else { 0 });
        for i in start..order.len() {
            let kind = order[i];
            let mut params = vec![("fields".to_string(), kind.fields()), ("limit".to_string(), self.page_limit.unwrap_or(STRUCTURE_PAGE).to_string())];
            if let Some(f) = structure::filtering(kind, (since > 0).then_some(since)) {
                params.push(("filtering".into(), f));
            }
            let next = order.get(i + 1).map(|k| k.as_str()).unwrap_or("done");
            let path = format!("act_{}/{}", self.account.id, kind.edge());
            let write = move |job: &Self, data: &[Value]| Ok(PageWrite { d1: job.structure_page(kind, data)?, object: Vec::new() });
            self.pages(kind.as_str(), "", &path, params, &write, (next, None)).await?;
        }
        // The next run asks only for what changed since the newest change mirrored now (less a
        // second: Graph's filter is strict and times have whole seconds).
        let newest = self
            .db
            .prepare(
                "SELECT MAX(t) AS t FROM (SELECT MAX(meta_updated_time) AS t FROM meta_campaigns WHERE ad_account_id = ?1 UNION ALL SELECT MAX(meta_updated_time) FROM meta_ad_sets WHERE ad_account_id = ?1 \
                 UNION ALL SELECT MAX(meta_updated_time) FROM meta_ads WHERE ad_account_id = ?1 UNION ALL SELECT MAX(meta_updated_time) FROM meta_creatives WHERE ad_account_id = ?1)",
            )
            .bind(&[text(&self.account.id)])?
            .first::<Value>(None)
            .await?;
        let watermark = newest.and_then(|r| structure::updated_unix(&json!({ "updated_time": r["t"] }))).map(|t| t - 1).unwrap_or(0).max(since);
        self.db
            .prepare(
                "INSERT INTO sync_state (ad_account_id, workspace_id, structure_synced_unix, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (ad_account_id) DO UPDATE SET structure_synced_unix = excluded.structure_synced_unix, updated_at = excluded.updated_at",
            )
            .bind(&[text(&self.account.id), text(&self.account.workspace_id), int(watermark), text(&now_iso())])?
            .run()
            .await?;
        Ok(format!("structure {} since {}", if since > 0 { "incremental" } else { "full" }, since))
    }

    /// A webhook named these objects: read just them (one call each) and upsert.
    async fn targeted(&mut self, objects_json: &str) -> Result<String, JobError> {
        let objects: Vec<String> = serde_json::from_str(objects_json).unwrap_or_default();
        let mut done = 0;
        for o in &objects {
            let Some((kind, id)) = o.split_once(':').and_then(|(k, id)| Some((ObjectKind::parse(k)?, id))) else {
                continue;
            };
            let obj = self.get(id, &[("fields".to_string(), kind.fields())]).await?;
            let stmts = self.structure_page(kind, &[obj])?;
            let mut all = stmts;
            all.push(progress(&self.db, &self.run.id, "targeted", None, 1, 0, 1)?);
            self.db.batch(all).await?;
            done += 1;
        }
        Ok(format!("targeted re-sync of {done} objects"))
    }

    /// Leads a leadgen webhook named: read each (one call) and store it by its id.
    async fn leads(&mut self) -> Result<String, JobError> {
        let objects: Vec<String> = self.run.object_ids_json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
        let mut stored = 0;
        for id in objects.iter().filter_map(|o| o.strip_prefix("leads:")) {
            let lead = self.get(id, &[("fields".to_string(), "id,created_time,ad_id,adset_id,campaign_id,form_id,field_data".to_string())]).await?;
            let now = now_iso();
            let s = |k: &str| opt_text(lead[k].as_str());
            let mut writes = vec![
                    self.db
                        .prepare(
                            "INSERT INTO meta_leads (id, ad_account_id, workspace_id, form_id, ad_id, adset_id, campaign_id, created_time, field_data_json, sync_run_id, synced_at) \
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO UPDATE SET field_data_json = excluded.field_data_json, synced_at = excluded.synced_at",
                        )
                        .bind(&[text(id), text(&self.account.id), text(&self.account.workspace_id), s("form_id"), s("ad_id"), s("adset_id"), s("campaign_id"), s("created_time"), text(&lead["field_data"].to_string()), text(&self.run.id), text(&now)])?,
                    progress(&self.db, &self.run.id, "leads", None, 1, 0, 1)?,
                ];
            // An Instant Form lead is an application too, joined to its ad by Meta's ids.
            for q in crate::recruiting::intake::lead_arrived(&self.account.workspace_id, id, &now) {
                writes.push(super::d1::statement(&self.db, &q)?);
            }
            self.db.batch(writes).await?;
            stored += 1;
        }
        Ok(format!("{stored} leads fetched and stored"))
    }

    async fn window(&mut self, settings: &Settings) -> Result<(String, String), JobError> {
        if let (Some(s), Some(u)) = (&self.run.window_start, &self.run.window_end) {
            return Ok((s.clone(), u.clone()));
        }
        let today = ins::today_in(&self.account.timezone_name, now_millis()).map_err(JobError::Permanent)?;
        let (s, u) = if self.run.trigger == "backfill" {
            ins::backfill_window(today, settings.backfill_days)
        } else {
            ins::fresh_window(today, settings.attribution_window_days)
        };
        let (s, u) = (s.to_string(), u.to_string());
        self.db.prepare("UPDATE sync_runs SET window_start = ?2, window_end = ?3 WHERE id = ?1").bind(&[text(&self.run.id), text(&s), text(&u)])?.run().await?;
        self.run.window_start = Some(s.clone());
        self.run.window_end = Some(u.clone());
        Ok((s, u))
    }

    async fn insights(&mut self) -> Result<String, JobError> {
        let settings = settings(&self.db, &self.account.workspace_id).await?;
        let (since, until) = self.window(&settings).await?;
        let parse = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| JobError::Permanent(format!("bad window date {d}")));
        let (s, u) = (parse(&since)?, parse(&until)?);
        let mut sets: Vec<Vec<String>> = vec![vec![]];
        sets.extend(settings.breakdown_sets.iter().cloned());
        // A large pull (ads x days) goes through async report runs, one per breakdown set for the
        // whole window; a small one is read directly, in slices of days.
        let ads: Value = self
            .db
            .prepare("SELECT COUNT(*) AS n FROM meta_ads WHERE ad_account_id = ?1")
            .bind(&[text(&self.account.id)])?
            .first::<Value>(None)
            .await?
            .unwrap_or_default();
        let expected_rows = ads["n"].as_i64().unwrap_or(0) * ((u - s).num_days() + 1);
        let min_rows = super::env::env_text(&self.svc.env, "ASYNC_REPORT_MIN_ROWS").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_ASYNC_REPORT_MIN_ROWS);
        // Decided once per run: a resumed run keeps the mode its phase names (`facts:` for direct
        // slices, `reports:` for report runs), even if the mirror has grown since.
        let use_reports = match self.run.phase.as_deref() {
            Some(p) if p.starts_with("facts:") => false,
            Some(p) if p.starts_with("reports:") => true,
            _ => expected_rows >= min_rows,
        };
        let step_name = if use_reports { "reports" } else { "facts" };
        let slices = if use_reports { vec![(s, u)] } else { ins::slices(s, u, INSIGHTS_SLICE_DAYS) };
        let digits = ins::currency_digits(&self.account.currency);
        // Steps are (breakdown set, slice of days), numbered in order; the phase is `facts:{n}`
        // (or `reports:{n}`).
        let steps: Vec<(&Vec<String>, (chrono::NaiveDate, chrono::NaiveDate))> = sets.iter().flat_map(|set| slices.iter().map(move |sl| (set, *sl))).collect();
        let start = match self.run.phase.as_deref() {
            Some(p) if p.starts_with(&format!("{step_name}:")) => p[step_name.len() + 1..].parse::<usize>().unwrap_or(0),
            Some("rollup") | Some("validate") | Some("done") => steps.len(),
            _ => 0,
        };
        let store = self.fact_store().await?;
        for (i, (set, (from, to))) in steps.iter().enumerate().skip(start) {
            let phase = format!("{step_name}:{i}");
            let next = if i + 1 < steps.len() { format!("{step_name}:{}", i + 1) } else { "rollup".to_string() };
            let params = ins::params(*from, *to, set, &settings.windows, self.page_limit.unwrap_or(INSIGHTS_PAGE));
            let set_name = ins::set_name(set);
            let to_object = match (crate::facts::partitioned(&set_name), store.write()) {
                (false, _) | (true, Write::D1) => false,
                (true, Write::Object) => true,
                // The account's facts are being checked after their copy: come back when moved.
                (true, Write::Wait) => return self.resume_later(FACT_SETTLE_WAIT_SECONDS).await.map(|_| String::new()),
            };
            let windows = settings.windows.clone();
            let set_c: Vec<String> = set.to_vec();
            let name_c = set_name.clone();
            let path = format!("act_{}/insights", self.account.id);
            let write = move |job: &Self, rows: &[Value]| -> worker::Result<PageWrite> {
                let now = now_iso();
                let mut facts: Vec<Value> = Vec::new();
                for r in rows {
                    let fs: Vec<Fact> = ins::facts(r, &set_c, &windows, digits).map_err(worker::Error::RustError)?;
                    facts.extend(fs.iter().map(|f| f.row(&job.account.id, &name_c, &job.account.workspace_id, &job.run.id, &now)));
                }
                if to_object {
                    return Ok(PageWrite { d1: Vec::new(), object: facts });
                }
                let sql = ins::upsert_page_sql();
                let d1 = facts
                    .chunks(FACTS_PER_STATEMENT)
                    .map(|c| job.db.prepare(&sql).bind(&[text(&Value::Array(c.to_vec()).to_string())]))
                    .collect::<worker::Result<_>>()?;
                Ok(PageWrite { d1, object: Vec::new() })
            };
            if self.run.phase.as_deref() != Some(phase.as_str()) {
                self.run.cursor = None;
            }
            if use_reports {
                self.report_step(&phase, &next, params, &write).await?;
            } else {
                self.pages(&phase, "", &path, params, &write, (&next, None)).await?;
            }
            // Rows of this set and slice that Meta no longer reports (written by an earlier run)
            // go, so a re-synced day holds exactly what Meta says now.
            let stale = crate::ports::Query::new(
                "DELETE FROM insights_facts WHERE ad_account_id = ?1 AND date BETWEEN ?2 AND ?3 AND breakdown_set = ?4 AND source = 'meta' AND sync_run_id IS NOT ?5",
                crate::binds![self.account.id.as_str(), from.to_string(), to.to_string(), set_name.as_str(), self.run.id.as_str()],
            );
            if to_object {
                self.svc.fact_object(&self.account.id, vec![stale]).await.map_err(fact_error)?;
            } else {
                super::d1::statement(&self.db, &stale)?.run().await?;
            }
        }
        if self.run.phase.as_deref() != Some("validate") {
            self.rollup(&since, &until).await?;
        }
        let mismatches = self.validate(&since, &until).await?;
        Ok(format!("insights {since}..{until}: {} breakdown sets; {mismatches} days differ from Meta's account totals", sets.len()))
    }

    /// One step through an async report run. The cursor says where it is: `report:{id}:{polls}`
    /// while Meta prepares it (each poll is a message the account's gate sends later, from its
    /// alarm), `rows:{id}:{after}` while its rows are read, `split:{k}:{after}` when the report
    /// failed or took too long and the same pull is made campaign by campaign instead.
    async fn report_step(&mut self, phase: &str, next: &str, params: Vec<(String, String)>, write: &PageWriter<'a>) -> Result<(), JobError> {
        let account_path = format!("act_{}/insights", self.account.id);
        if self.run.cursor.is_none() {
            let created = governed::call(self.svc, &self.scope(), GraphCall::Write("POST", &account_path), &params).await;
            let body = match created {
                Ok((v, _)) => v,
                Err(e) => return Err(graph_error(e, &mut self.rate_limited)),
            };
            let id = body["report_run_id"]
                .as_str()
                .ok_or_else(|| JobError::Retry { reason: "Meta returned no report_run_id".into(), delay_seconds: 10 })?
                .to_string();
            self.commit(phase, Some(format!("report:{id}:0")), 1).await?;
            return self.poll_later().await;
        }
        if let Some(rest) = self.run.cursor.clone().as_deref().and_then(|c| c.strip_prefix("report:")) {
            let (id, polls) = rest.split_once(':').map(|(i, n)| (i.to_string(), n.parse::<u32>().unwrap_or(0))).unwrap_or((rest.to_string(), 0));
            let status = self.get(&id, &[("fields".to_string(), "async_status,async_percent_completion".to_string())]).await?;
            match status["async_status"].as_str().unwrap_or_default() {
                "Job Completed" => self.commit(phase, Some(format!("rows:{id}:")), 1).await?,
                "Job Failed" | "Job Skipped" => self.commit(phase, Some("split:0:".into()), 1).await?,
                _ if polls + 1 >= MAX_REPORT_POLLS => self.commit(phase, Some("split:0:".into()), 1).await?,
                _ => {
                    self.commit(phase, Some(format!("report:{id}:{}", polls + 1)), 1).await?;
                    return self.poll_later().await;
                }
            }
        }
        let cursor = self.run.cursor.clone().unwrap_or_default();
        if let Some(rest) = cursor.strip_prefix("rows:") {
            let id = rest.split(':').next().unwrap_or_default().to_string();
            let limit = params.iter().find(|(k, _)| k == "limit").cloned().into_iter().collect();
            return self.pages(phase, &format!("rows:{id}:"), &format!("{id}/insights"), limit, write, (next, None)).await;
        }
        // Split: the same pull, one campaign at a time, straight from the edge.
        let from: usize = cursor.strip_prefix("split:").and_then(|r| r.split(':').next()).and_then(|k| k.parse().ok()).unwrap_or(0);
        let campaigns: Vec<String> = self
            .db
            .prepare("SELECT id FROM meta_campaigns WHERE ad_account_id = ?1 ORDER BY id")
            .bind(&[text(&self.account.id)])?
            .all()
            .await?
            .results::<Value>()?
            .into_iter()
            .filter_map(|r| r["id"].as_str().map(str::to_string))
            .collect();
        if campaigns.is_empty() {
            // Splitting needs the mirror's campaigns; wait for the structure run rather than skip.
            return Err(JobError::Retry { reason: "the account's campaigns are not mirrored yet; the split waits for them".into(), delay_seconds: 30 });
        }
        for (k, campaign) in campaigns.iter().enumerate().skip(from) {
            let mut p = params.clone();
            p.push(("filtering".into(), json!([{ "field": "campaign.id", "operator": "EQUAL", "value": campaign }]).to_string()));
            let end = if k + 1 < campaigns.len() { (phase, Some(format!("split:{}:", k + 1))) } else { (next, None) };
            self.pages(phase, &format!("split:{k}:"), &account_path, p, write, end).await?;
        }
        Ok(())
    }

    /// Records where the run is, counting `calls` Graph calls.
    async fn commit(&mut self, phase: &str, cursor: Option<String>, calls: u32) -> Result<(), JobError> {
        progress(&self.db, &self.run.id, phase, cursor.as_deref(), 0, 0, calls)?.run().await?;
        self.run.phase = Some(phase.to_string());
        self.run.cursor = cursor;
        Ok(())
    }

    /// Asks the account's gate to send this run's message again after the poll interval.
    async fn poll_later(&mut self) -> Result<(), JobError> {
        let secs = super::env::env_text(&self.svc.env, "ASYNC_POLL_SECONDS").and_then(|v| v.parse::<i64>().ok()).unwrap_or(DEFAULT_ASYNC_POLL_SECONDS).max(1);
        self.resume_later(secs).await
    }

    /// Where the account's partitioned facts go: a new account's are placed in its object from
    /// the start (unless `FACTS_STORE=d1` keeps every fact in D1).
    async fn fact_store(&mut self) -> Result<crate::facts::Store, JobError> {
        let d1_only = super::env::env_text(&self.svc.env, "FACTS_STORE").as_deref() == Some("d1");
        let mut stmts = Vec::new();
        if !d1_only {
            stmts.push(super::d1::statement(&self.db, &crate::facts::claim_query(&self.account.id, &self.account.workspace_id, &now_iso()))?);
        }
        stmts.push(super::d1::statement(&self.db, &crate::facts::store_query(&self.account.id))?);
        let results = self.db.batch(stmts).await?;
        let rows = results.last().map(|r| r.results::<Value>()).transpose()?.unwrap_or_default();
        Ok(crate::facts::Store::parse(rows.first().and_then(|r| r["store"].as_str())))
    }

    /// Asks the account's gate to send this run's message again in `secs` seconds.
    async fn resume_later(&mut self, secs: i64) -> Result<(), JobError> {
        let message = crate::sync_message::resume(&self.run.id, &self.run.kind, &self.run.trigger, &self.account.id, &self.account.workspace_id, &now_iso())
            .map_err(JobError::Permanent)?;
        let body = json!({ "at_ms": now_millis() + secs * 1_000, "message": message });
        let resp = super::services::gate::gate_call(&self.svc.env, &self.account.id, "schedule", &body).await?;
        if resp.status_code() != 200 {
            return Err(JobError::Retry { reason: format!("the gate could not schedule the poll ({})", resp.status_code()), delay_seconds: secs as u32 });
        }
        Err(JobError::Waiting)
    }

    /// Rebuilds the daily aggregates of exactly the window's days, in one batch.
    async fn rollup(&mut self, since: &str, until: &str) -> Result<(), JobError> {
        let sums = "SUM(impressions), SUM(reach), SUM(clicks), SUM(link_clicks), SUM(spend_minor), SUM(leads), SUM(purchases), SUM(purchase_value_minor)";
        let from = "FROM insights_facts WHERE ad_account_id = ?1 AND date BETWEEN ?2 AND ?3 AND breakdown_set = '' AND hour = -1 AND source = 'meta'";
        let select = |level: &str, id: &str| {
            format!("SELECT ad_account_id, '{level}', {id}, date, attribution_window, workspace_id, {sums}, ?4 {from} AND {id} IS NOT NULL GROUP BY {id}, date, attribution_window")
        };
        let insert = format!(
            "INSERT INTO insights_daily (ad_account_id, level, object_id, date, attribution_window, workspace_id, impressions, reach, clicks, link_clicks, spend_minor, leads, purchases, purchase_value_minor, updated_at) \
             {} UNION ALL {} UNION ALL {} UNION ALL {}",
            select("ad", "object_id"),
            select("adset", "adset_id"),
            select("campaign", "campaign_id"),
            select("account", "ad_account_id")
        );
        let args = [text(&self.account.id), text(since), text(until), text(&now_iso())];
        // The account's conversions per day before and after, in the same transaction: a day
        // whose count changed tells how late attribution still moves (telemetry).
        let conversions = "SELECT date, leads + purchases AS conversions FROM insights_daily WHERE ad_account_id = ?1 AND level = 'account' \
                           AND attribution_window = 'default' AND date BETWEEN ?2 AND ?3";
        let results = self
            .db
            .batch(vec![
                self.db.prepare(conversions).bind(&args[..3])?,
                self.db.prepare("DELETE FROM insights_daily WHERE ad_account_id = ?1 AND date BETWEEN ?2 AND ?3").bind(&args[..3])?,
                self.db.prepare(insert).bind(&args)?,
                self.db.prepare(conversions).bind(&args[..3])?,
                progress(&self.db, &self.run.id, "validate", None, 0, 0, 0)?,
            ])
            .await?;
        let day_counts = |i: usize| -> Vec<(String, i64)> {
            let rows = results.get(i).and_then(|r| r.results::<Value>().ok()).unwrap_or_default();
            rows.iter().filter_map(|r| Some((r["date"].as_str()?.to_string(), r["conversions"].as_i64()?))).collect()
        };
        let now = now_millis();
        let after = day_counts(3);
        for (date, was) in day_counts(0) {
            let changed = after.iter().any(|(d, n)| *d == date && *n != was);
            let day_end = crate::timefmt::millis_from_iso(&format!("{date}T00:00:00Z")).map(|m| m + 86_400_000);
            if let (true, Some(end)) = (changed, day_end) {
                let hours = ((now - end).max(0) as f64) / 3_600_000.0;
                super::services::telemetry::observe(&crate::telemetry::ATTRIBUTION_CHANGE_AGE, &self.account.workspace_id, &self.account.id, &[], hours);
            }
        }
        self.run.phase = Some("validate".into());
        Ok(())
    }

    /// Compares each day's sum over ads with the account-level total Meta reports; a difference
    /// beyond rounding (half a minor unit per ad) becomes a data-quality event.
    async fn validate(&mut self, since: &str, until: &str) -> Result<usize, JobError> {
        let params = vec![
            ("level".to_string(), "account".to_string()),
            ("time_increment".to_string(), "1".to_string()),
            ("time_range".to_string(), json!({ "since": since, "until": until }).to_string()),
            ("fields".to_string(), "spend,impressions,clicks".to_string()),
            ("limit".to_string(), "500".to_string()),
        ];
        let body = self.get(&format!("act_{}/insights", self.account.id), &params).await?;
        let ours = self
            .db
            .prepare("SELECT d.date, d.spend_minor, d.impressions, d.clicks, (SELECT COUNT(*) FROM insights_daily a WHERE a.ad_account_id = d.ad_account_id AND a.level = 'ad' AND a.date = d.date AND a.attribution_window = 'default') AS ads FROM insights_daily d WHERE d.ad_account_id = ?1 AND d.level = 'account' AND d.attribution_window = 'default' AND d.date BETWEEN ?2 AND ?3")
            .bind(&[text(&self.account.id), text(since), text(until)])?
            .all()
            .await?
            .results::<Value>()?;
        let digits = ins::currency_digits(&self.account.currency);
        let mut stmts = Vec::new();
        let now = now_iso();
        let theirs: Vec<Value> = body["data"].as_array().cloned().unwrap_or_default();
        for day in ins::days(
            chrono::NaiveDate::parse_from_str(since, "%Y-%m-%d").unwrap_or_default(),
            chrono::NaiveDate::parse_from_str(until, "%Y-%m-%d").unwrap_or_default(),
        ) {
            let meta = theirs.iter().find(|r| r["date_start"] == day.as_str());
            let mine = ours.iter().find(|r| r["date"] == day.as_str());
            let m_spend = meta.and_then(|r| r["spend"].as_str()).and_then(|s| ins::to_minor(s, digits)).unwrap_or(0);
            let m_imp = meta.and_then(|r| r["impressions"].as_str()).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
            let (o_spend, o_imp, ads) = mine
                .map(|r| (r["spend_minor"].as_i64().unwrap_or(0), r["impressions"].as_i64().unwrap_or(0), r["ads"].as_i64().unwrap_or(0)))
                .unwrap_or((0, 0, 0));
            let tolerance = (ads + 1) / 2;
            if (m_spend - o_spend).abs() > tolerance.max(1) || m_imp != o_imp {
                stmts.push(
                    self.db
                        .prepare("INSERT INTO data_quality_events (id, ad_account_id, workspace_id, sync_run_id, kind, date, expected_json, actual_json, detail, created_at) VALUES (?1, ?2, ?3, ?4, 'account_total_mismatch', ?5, ?6, ?7, ?8, ?9)")
                        .bind(&[
                            text(&new_id("dq")),
                            text(&self.account.id),
                            text(&self.account.workspace_id),
                            text(&self.run.id),
                            text(&day),
                            text(&json!({ "spend_minor": m_spend, "impressions": m_imp }).to_string()),
                            text(&json!({ "spend_minor": o_spend, "impressions": o_imp, "ads": ads }).to_string()),
                            text(&format!("the sum over ads differs from Meta's account total on {day}")),
                            text(&now),
                        ])?,
                );
            }
        }
        let n = stmts.len();
        stmts.push(progress(&self.db, &self.run.id, "done", None, 0, 0, 1)?);
        self.db.batch(stmts).await?;
        Ok(n)
    }
}

async fn finish(db: &D1Database, run: &str, status: &str, detail: &str, error: Option<&str>, rate_limited: bool) -> worker::Result<()> {
    let now = now_iso();
    db.prepare("UPDATE sync_runs SET status = ?2, detail = ?3, error = ?4, rate_limited = MAX(rate_limited, ?5), finished_at = CASE WHEN ?2 IN ('succeeded', 'failed', 'skipped') THEN ?6 ELSE finished_at END, updated_at = ?6 WHERE id = ?1")
        .bind(&[text(run), text(status), text(detail), opt_text(error), int(rate_limited as i64), text(&now)])?
        .run()
        .await?;
    Ok(())
}

/// After a sync: the account's alerts are evaluated, and notifications for those that opened
/// are sent. A failure here is logged and never fails the sync that just succeeded.
async fn evaluate_alerts(svc: &Services, account: &Account) {
    use crate::actions::recruiter_paid_media_analytics::alerts;
    use crate::ports::Ports;
    let ports: &dyn Ports = svc;
    match alerts::evaluate(ports, &account.workspace_id, &account.id, &account.timezone_name).await {
        Ok(outcome) => {
            for id in outcome.notifications {
                if let Err(e) = ports.enqueue(crate::ports::Job::Notification(id.clone())).await {
                    worker::console_warn!("alerts of {}: notification {id} waits for the sweep: {}", account.id, e.summary());
                }
            }
        }
        Err(e) => worker::console_error!("alerts of {} could not be evaluated: {}", account.id, e.summary()),
    }
}

/// Runs (or resumes) the job a message describes. `Ok` means the message is done with.
pub async fn run(env: &Env, message_id: &str, msg: &SyncMessage) -> Result<(), JobError> {
    let db = env.d1("DB")?;
    let account = db
        .prepare("SELECT id, workspace_id, integration_id, currency, timezone_name, status FROM ad_accounts WHERE id = ?1")
        .bind(&[text(&msg.ad_account_id)])?
        .first::<Account>(None)
        .await?;
    let Some(account) = account else {
        return Err(JobError::Permanent(format!("ad account {} is not bound to any workspace", msg.ad_account_id)));
    };
    let run = open_run(&db, message_id, msg).await?;
    if matches!(run.status.as_str(), "succeeded" | "failed" | "skipped") {
        return Ok(());
    }
    let skip = if msg.kind == SyncKind::TokenHealth {
        Some("token health runs in the daily tick itself".to_string())
    } else if account.status != "active" {
        Some(format!("ad account is {}", account.status))
    } else if account.integration_id.is_none() {
        Some("ad account has no Meta integration to sync through".to_string())
    } else {
        None
    };
    if let Some(why) = skip {
        finish(&db, &run.id, "skipped", &why, None, false).await?;
        return Ok(());
    }
    let svc = Services::new(env.clone(), run.id.clone());
    let run_id = run.id.clone();
    let kind = run.kind.clone();
    let page_limit = super::env::env_text(env, "SYNC_PAGE_LIMIT").and_then(|v| v.parse().ok()).filter(|n: &u32| (1..=5_000).contains(n));
    let mut job = Job { svc: &svc, page_limit, db: env.d1("DB")?, run, account, rate_limited: false };
    let outcome = if kind == SyncKind::Structure.as_str() {
        job.structure().await
    } else if kind == SyncKind::Leads.as_str() {
        job.leads().await
    } else {
        job.insights().await
    };
    match outcome {
        Ok(detail) => {
            finish(&db, &run_id, "succeeded", &detail, None, job.rate_limited).await?;
            db.prepare("UPDATE ad_accounts SET last_synced_at = ?2 WHERE id = ?1").bind(&[text(&job.account.id), text(&now_iso())])?.run().await?;
            // Fresh insights, or fresh budgets and statuses: either can open or clear an alert.
            if kind != SyncKind::Leads.as_str() {
                evaluate_alerts(&svc, &job.account).await;
            }
            // New data: the account's rules that run on it get a run each (on the jobs queue).
            if kind == SyncKind::InsightsResync.as_str() {
                if let Err(e) = crate::actions::rule_trigger::after_sync(&svc, &job.account.workspace_id, &job.account.id, &run_id).await {
                    worker::console_error!("rules of {} after sync {run_id}: {}", job.account.id, e.summary());
                }
            }
            Ok(())
        }
        Err(JobError::Retry { reason, delay_seconds }) => {
            db.prepare("UPDATE sync_runs SET retries = retries + 1, error = ?2, rate_limited = MAX(rate_limited, ?3), updated_at = ?4 WHERE id = ?1")
                .bind(&[text(&run_id), text(&reason), int(job.rate_limited as i64), text(&now_iso())])?
                .run()
                .await?;
            Err(JobError::Retry { reason, delay_seconds })
        }
        Err(JobError::Waiting) => {
            db.prepare("UPDATE sync_runs SET detail = 'waiting for an async report run', rate_limited = MAX(rate_limited, ?2), updated_at = ?3 WHERE id = ?1")
                .bind(&[text(&run_id), int(job.rate_limited as i64), text(&now_iso())])?
                .run()
                .await?;
            Ok(())
        }
        Err(JobError::Permanent(reason)) => {
            finish(&db, &run_id, "failed", "retrying cannot fix this", Some(&reason), job.rate_limited).await?;
            Err(JobError::Permanent(reason))
        }
        Err(JobError::Revoked(reason)) => {
            finish(&db, &run_id, "failed", "Meta refused the integration's token or permissions", Some(&reason), job.rate_limited).await?;
            db.prepare("UPDATE integrations SET status = 'expired', updated_at = ?2 WHERE id = ?1 AND status = 'active'")
                .bind(&[opt_text(job.account.integration_id.as_deref()), text(&now_iso())])?
                .run()
                .await?;
            Err(JobError::Permanent(reason))
        }
    }
}
