-- Pending approvals for execute_high actions. An approval is decided once (the UPDATE that
-- moves it out of 'pending' succeeds for exactly one caller) and executed at most once.
CREATE TABLE approvals (
  id              TEXT PRIMARY KEY,
  workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  router          TEXT NOT NULL,
  action          TEXT NOT NULL,
  input_json      TEXT NOT NULL,
  requested_by    TEXT NOT NULL,
  idempotency_key TEXT,
  correlation_id  TEXT NOT NULL,
  status          TEXT NOT NULL
                  CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'executed', 'failed')),
  decided_by      TEXT,
  decided_at      TEXT,
  expires_at      TEXT NOT NULL,
  result_json     TEXT,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX approvals_by_workspace ON approvals (workspace_id, status, created_at);
