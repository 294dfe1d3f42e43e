-- Reports, scheduled exports, stored alerts and the outbox of signed notifications.

-- A report: a saved query over the mirrors (`spec_json`), produced as CSV into the REPORTS bucket
-- by the jobs queue's consumer. `peak_memory_bytes` is the worker's linear memory when it was done.
CREATE TABLE report_jobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  ad_account_id TEXT NOT NULL,
  schedule_id TEXT,
  spec_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  row_count INTEGER, byte_count INTEGER, sha256 TEXT, object_key TEXT, peak_memory_bytes INTEGER,
  error TEXT, attempts INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, updated_at TEXT NOT NULL
);
CREATE INDEX report_jobs_by_workspace ON report_jobs (workspace_id, created_at);
CREATE INDEX report_jobs_by_status ON report_jobs (status, updated_at);

-- A report that repeats: every day or week the daily tick makes a job over the last `last_days`
-- whole days, and its link goes to the workspace's notification endpoint when it is ready.
CREATE TABLE report_schedules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  ad_account_id TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  every TEXT NOT NULL CHECK (every IN ('day', 'week')),
  last_days INTEGER NOT NULL,
  next_run_at TEXT NOT NULL,
  last_job_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'stopped')),
  created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX report_schedules_due ON report_schedules (status, next_run_at);
CREATE INDEX report_schedules_by_workspace ON report_schedules (workspace_id);

-- Where a workspace's notifications go, and the secret they are signed with (chosen by an admin,
-- sealed by the token vault like integration tokens; never returned).
CREATE TABLE notification_endpoints (
  workspace_id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Conditions found after an insights sync, with their evidence: at most one open per object and
-- kind; closed when a later evaluation no longer finds them.
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  ad_account_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  object_level TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('pacing', 'overspend', 'delivery_drop', 'cpl_spike', 'frequency_fatigue')),
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  evidence_json TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  closed_at TEXT
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (workspace_id, object_id, kind) WHERE status = 'open';
CREATE INDEX alerts_by_account ON alerts (workspace_id, ad_account_id, status, opened_at);

-- Signed notifications on their way to a workspace's endpoint: the body is fixed when the event
-- happens, so every retry sends the same bytes under the same delivery id.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  event TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  body_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX notifications_by_workspace ON notifications (workspace_id, created_at);
CREATE INDEX notifications_by_status ON notifications (status, updated_at);
