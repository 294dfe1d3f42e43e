-- Governed optimisation: how fresh the data behind a change must be, how long an object rests
-- after a change, and how many changes a workspace makes in 24 hours (admins set them; a
-- workspace without a row has the defaults).
CREATE TABLE optimization_settings (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  freshness_max_minutes INTEGER NOT NULL,
  cooldown_minutes INTEGER NOT NULL,
  daily_change_cap INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Every field an optimisation changed, with the value before (the snapshot a rollback puts
-- back) and the value it set (what a rollback expects to find). One optimisation id covers the
-- objects one apply changed together.
CREATE TABLE optimizations (
  id TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  ad_account_id TEXT NOT NULL,
  action TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  field TEXT NOT NULL,
  before_value TEXT NOT NULL,
  after_value TEXT NOT NULL,
  suggestion_kind TEXT,
  data_as_of TEXT,
  applied_by TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  applied_at_ms INTEGER NOT NULL,
  rolled_back_at TEXT,
  rolled_back_by TEXT,
  PRIMARY KEY (id, object_id, field)
);
CREATE INDEX optimizations_by_object ON optimizations (workspace_id, object_id, applied_at_ms);
CREATE INDEX optimizations_by_time ON optimizations (workspace_id, applied_at_ms);
