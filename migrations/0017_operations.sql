-- Operations: telemetry rollups, retention, audit completeness and service alerts.

-- Telemetry kept by time bucket: one row per hour, workspace, account, metric and labels, summed
-- as the isolates flush; bucket '' holds the all-time totals `/metrics` serves as counters.
CREATE TABLE ops_rollups (
  bucket TEXT NOT NULL,
  workspace_id TEXT NOT NULL DEFAULT '',
  ad_account_id TEXT NOT NULL DEFAULT '',
  metric TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '',
  count INTEGER NOT NULL DEFAULT 0,
  sum REAL NOT NULL DEFAULT 0,
  max REAL NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (bucket, workspace_id, ad_account_id, metric, labels)
) WITHOUT ROWID;
CREATE INDEX ops_rollups_by_workspace ON ops_rollups (workspace_id, bucket);

-- Meta API events gain outbound mutations (kind 'mutation', with the method, the correlation id
-- of the work that made them and whether Meta took them), which the audit completeness check
-- matches with audit rows. SQLite cannot widen a CHECK in place, so the table is rebuilt.
CREATE TABLE meta_api_events_next (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
  integration_id TEXT,
  ad_account_id  TEXT,
  kind           TEXT NOT NULL CHECK (kind IN ('error', 'throttle', 'usage', 'mutation')),
  endpoint       TEXT NOT NULL,
  graph_code     INTEGER,
  graph_subcode  INTEGER,
  error_class    TEXT,
  fbtrace_id     TEXT,
  message        TEXT,
  usage_json     TEXT,
  max_usage_pct  REAL,
  method         TEXT,
  correlation_id TEXT,
  outcome        TEXT,
  occurred_at    TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
INSERT INTO meta_api_events_next (id, workspace_id, integration_id, ad_account_id, kind, endpoint, graph_code, graph_subcode,
  error_class, fbtrace_id, message, usage_json, max_usage_pct, occurred_at, created_at, updated_at)
SELECT id, workspace_id, integration_id, ad_account_id, kind, endpoint, graph_code, graph_subcode,
  error_class, fbtrace_id, message, usage_json, max_usage_pct, occurred_at, created_at, updated_at FROM meta_api_events;
DROP TABLE meta_api_events;
ALTER TABLE meta_api_events_next RENAME TO meta_api_events;
CREATE INDEX meta_api_events_by_workspace ON meta_api_events (workspace_id, kind, occurred_at);
CREATE INDEX meta_api_events_by_account ON meta_api_events (ad_account_id, kind, occurred_at);
CREATE INDEX meta_api_events_by_correlation ON meta_api_events (correlation_id) WHERE kind = 'mutation';
CREATE INDEX meta_api_events_by_time ON meta_api_events (occurred_at);

-- How many writes the audited work sent to Meta (NULL on rows from before it was counted).
ALTER TABLE audit_log ADD COLUMN meta_writes INTEGER;

-- Differences the completeness check found: per workspace and correlation id, the mutations Meta
-- was sent against the writes audit rows account for.
CREATE TABLE audit_gaps (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  correlation_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('unaudited_mutation', 'unrecorded_mutation')),
  mutations INTEGER NOT NULL,
  audited INTEGER NOT NULL,
  first_mutation_at TEXT,
  detected_by TEXT NOT NULL,
  detected_at TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_gaps_once ON audit_gaps (workspace_id, correlation_id, kind);
CREATE INDEX audit_gaps_recent ON audit_gaps (workspace_id, detected_at);

-- Service alerts: conditions of the platform itself (syncs failing, a token expiring, an account
-- held by Meta's throttling, dead letters, schema drift, audit gaps), at most one open per subject.
CREATE TABLE service_alerts (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  detail_json TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  closed_at TEXT
);
CREATE UNIQUE INDEX service_alerts_one_open ON service_alerts (workspace_id, kind, subject_id) WHERE status = 'open';
CREATE INDEX service_alerts_by_workspace ON service_alerts (workspace_id, status, opened_at);

-- Retention windows per workspace and kind of data, in days (kinds without a row keep the default).
CREATE TABLE retention_settings (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  days INTEGER NOT NULL CHECK (days BETWEEN 1 AND 3650),
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, kind)
) WITHOUT ROWID;

-- Every purge: what kind, for whom ('' for rows shared by workspaces), up to which time, and how
-- many rows went. A purge of audit rows is only possible while its row says 'running'.
CREATE TABLE retention_purges (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  cutoff TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'done')),
  rows_deleted INTEGER NOT NULL DEFAULT 0,
  more INTEGER NOT NULL DEFAULT 0,
  cron_run_id TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX retention_purges_recent ON retention_purges (workspace_id, started_at);

-- Audit rows stay append-only, except that a recorded retention purge may remove the rows of its
-- workspace older than its cutoff, in the same transaction that records it.
DROP TRIGGER audit_log_is_append_only_delete;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM retention_purges p WHERE p.kind = 'audit_log' AND p.status = 'running'
                 AND p.workspace_id = old.workspace_id AND old.occurred_at < p.cutoff)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE INDEX sync_runs_by_status ON sync_runs (status, updated_at);
CREATE INDEX webhook_events_by_receipt ON webhook_events (received_at);
