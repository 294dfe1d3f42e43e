-- adgate foundation schema. Every *_at column is UTC ISO-8601 text (2026-11-23T11:30:00.000Z),
-- which sorts as time. Ids are text: Meta's numeric ids as Meta gives them, ours with a prefix.

CREATE TABLE workspaces (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  currency      TEXT NOT NULL CHECK (length(currency) = 3),
  timezone_name TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

-- API keys are stored only as SHA-256 hashes; the prefix lets a person recognise a key.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  prefix       TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL CHECK (role IN ('recruiter', 'admin')),
  scopes       TEXT NOT NULL DEFAULT '[]',
  label        TEXT,
  last_used_at TEXT,
  revoked_at   TEXT,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id);

-- A Meta connection. The token is held only as AES-GCM ciphertext with the id of its key.
CREATE TABLE integrations (
  id                TEXT PRIMARY KEY,
  workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind              TEXT NOT NULL CHECK (kind IN ('oauth_user', 'system_user')),
  status            TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'expired', 'quarantined', 'disabled')),
  meta_user_id      TEXT,
  token_ciphertext  TEXT,
  token_key_id      TEXT,
  token_expires_at  TEXT,
  scopes            TEXT NOT NULL DEFAULT '[]',
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX integrations_by_workspace ON integrations (workspace_id, status);

-- A Meta ad account bound to a workspace. `id` is Meta's account id without `act_`.
CREATE TABLE ad_accounts (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  integration_id TEXT REFERENCES integrations(id),
  name           TEXT NOT NULL,
  currency       TEXT NOT NULL CHECK (length(currency) = 3),
  timezone_name  TEXT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'unbound')),
  last_synced_at TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX ad_accounts_by_workspace ON ad_accounts (workspace_id);
CREATE INDEX ad_accounts_by_status ON ad_accounts (status);

-- One row per cron tick: what fired, when, and how many accounts it fanned out to.
CREATE TABLE cron_runs (
  id                TEXT PRIMARY KEY,
  cron              TEXT NOT NULL,
  tick_kind         TEXT,
  scheduled_at      TEXT NOT NULL,
  started_at        TEXT NOT NULL,
  finished_at       TEXT,
  status            TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  accounts_enqueued INTEGER NOT NULL DEFAULT 0,
  error             TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX cron_runs_by_start ON cron_runs (started_at);

-- One row per sync job a queue consumer ran. `queue_message_id` is unique so a redelivered
-- message updates its run instead of adding a second one.
CREATE TABLE sync_runs (
  id               TEXT PRIMARY KEY,
  ad_account_id    TEXT NOT NULL REFERENCES ad_accounts(id) ON DELETE CASCADE,
  workspace_id     TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind             TEXT NOT NULL,
  trigger          TEXT NOT NULL CHECK (trigger IN ('cron', 'webhook', 'manual', 'backfill')),
  cron_run_id      TEXT REFERENCES cron_runs(id),
  queue_message_id TEXT UNIQUE,
  attempts         INTEGER NOT NULL DEFAULT 1,
  status           TEXT NOT NULL
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped')),
  detail           TEXT,
  window_start     TEXT,
  window_end       TEXT,
  pages            INTEGER NOT NULL DEFAULT 0,
  rows_written     INTEGER NOT NULL DEFAULT 0,
  graph_calls      INTEGER NOT NULL DEFAULT 0,
  retries          INTEGER NOT NULL DEFAULT 0,
  rate_limited     INTEGER NOT NULL DEFAULT 0,
  error            TEXT,
  started_at       TEXT NOT NULL,
  finished_at      TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX sync_runs_by_account ON sync_runs (ad_account_id, started_at);
CREATE INDEX sync_runs_by_cron_run ON sync_runs (cron_run_id);

-- Messages the sync consumer gave up on, with the reason, as the dead-letter consumer saw them.
CREATE TABLE dead_letters (
  id           TEXT PRIMARY KEY,
  queue        TEXT NOT NULL,
  message_id   TEXT NOT NULL UNIQUE,
  body         TEXT NOT NULL,
  reason       TEXT NOT NULL,
  received_at  TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX dead_letters_by_receipt ON dead_letters (received_at);

-- Every mutation, attempted or done. Append-only: the triggers refuse updates and deletes.
CREATE TABLE audit_log (
  id              TEXT PRIMARY KEY,
  occurred_at     TEXT NOT NULL,
  workspace_id    TEXT REFERENCES workspaces(id),
  ad_account_id   TEXT,
  actor           TEXT NOT NULL,
  action          TEXT NOT NULL,
  risk_tier       TEXT,
  external_id     TEXT,
  before_json     TEXT,
  after_json      TEXT,
  correlation_id  TEXT NOT NULL,
  idempotency_key TEXT,
  approval_id     TEXT,
  outcome         TEXT NOT NULL
                  CHECK (outcome IN ('succeeded', 'failed', 'pending_approval', 'rejected')),
  graph_error     TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, occurred_at);
CREATE INDEX audit_log_by_account ON audit_log (ad_account_id, occurred_at);
CREATE INDEX audit_log_by_correlation ON audit_log (correlation_id);

CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
