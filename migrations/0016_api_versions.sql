-- Meta's API as adgate sees it, per workspace: the shape of each answer (per API version,
-- endpoint with ids as {id}, and the fields and breakdowns asked for), the differences seen
-- (schema drift), the version a workspace is pinned to, and upgrade plans (shadow checks of a
-- next version against the pinned one).
CREATE TABLE api_schemas (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  api_version TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  request_key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  fields_json TEXT NOT NULL,
  first_seen_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, api_version, endpoint, request_key)
) WITHOUT ROWID;

-- One row per difference (repeats of it are not new events): kind is type_changed,
-- unknown_field, field_added, field_removed or deprecation_warning.
CREATE TABLE schema_drift_events (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  api_version TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  kind TEXT NOT NULL,
  field TEXT NOT NULL DEFAULT '',
  before_type TEXT,
  after_type TEXT,
  detail TEXT,
  occurred_at TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX schema_drift_events_once ON schema_drift_events (workspace_id, api_version, endpoint, kind, field);
CREATE INDEX schema_drift_events_recent ON schema_drift_events (workspace_id, occurred_at);

CREATE TABLE api_version_pins (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  api_version TEXT NOT NULL,
  previous_version TEXT,
  plan_id TEXT,
  pinned_by TEXT NOT NULL,
  pinned_at TEXT NOT NULL
);

CREATE TABLE api_upgrade_plans (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  from_version TEXT NOT NULL,
  to_version TEXT NOT NULL,
  report_json TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX api_upgrade_plans_recent ON api_upgrade_plans (workspace_id, created_at);
