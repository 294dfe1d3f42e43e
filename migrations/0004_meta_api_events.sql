-- What Meta answered: errors (with Graph's code, subcode and fbtrace_id), throttling, and the
-- usage headers of successful calls. Feeds the error digest and the rate-limit posture.
CREATE TABLE meta_api_events (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
  integration_id TEXT,
  ad_account_id  TEXT,
  kind           TEXT NOT NULL CHECK (kind IN ('error', 'throttle', 'usage')),
  endpoint       TEXT NOT NULL,
  graph_code     INTEGER,
  graph_subcode  INTEGER,
  error_class    TEXT,
  fbtrace_id     TEXT,
  message        TEXT,
  usage_json     TEXT,
  max_usage_pct  REAL,
  occurred_at    TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX meta_api_events_by_workspace ON meta_api_events (workspace_id, kind, occurred_at);
CREATE INDEX meta_api_events_by_account ON meta_api_events (ad_account_id, kind, occurred_at);

-- What a tick did beyond fanning out (e.g. tokens refreshed by the daily tick).
ALTER TABLE cron_runs ADD COLUMN detail TEXT;
