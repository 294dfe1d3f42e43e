-- Workspace rules: conditions on an ad account's figures over a window of days, one action and a
-- schedule. A rule acts under its owner (a member), through the governed actions; a rule whose
-- owner lost access is stopped. `spec` is the rule as checked at creation (JSON).
CREATE TABLE rules (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  ad_account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  owner_member_id TEXT NOT NULL,
  spec TEXT NOT NULL,
  every TEXT NOT NULL CHECK (every IN ('sync', 'hour', 'day')),
  status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped', 'deleted')),
  status_reason TEXT,
  next_run_at TEXT,
  last_run_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX rules_by_account ON rules (workspace_id, ad_account_id, status);
CREATE INDEX rules_due ON rules (status, every, next_run_at);

-- Each run of a rule: why it ran, the figures it read, what it decided and what each action
-- came to (done, held for approval, refused). A run's id is fixed by what started it, so a
-- message delivered twice finds the run it already made.
CREATE TABLE rule_runs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'sync')),
  status TEXT NOT NULL CHECK (status IN ('queued', 'done', 'failed', 'stopped')),
  data_as_of TEXT,
  inputs TEXT,
  decisions TEXT,
  actions TEXT,
  acted INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX rule_runs_by_rule ON rule_runs (workspace_id, rule_id, created_at);
CREATE INDEX rule_runs_by_status ON rule_runs (status, updated_at);

-- What a rule did to an object, per run: its cooldowns and daily cap are read from here.
CREATE TABLE rule_actions (
  run_id TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('done', 'pending_approval', 'notified')),
  at_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, object_id)
);
CREATE INDEX rule_actions_by_rule ON rule_actions (rule_id, at_ms);
