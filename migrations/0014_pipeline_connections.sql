-- Recruiting systems that post their webhooks to /webhooks/ats/{id}: the id in the path names the
-- connection, and the signing secret (sealed by the token vault, bound to the id) proves a
-- delivery. `stages` maps the system's own stage ids or names to ours.
CREATE TABLE ats_connections (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('greenhouse', 'lever')),
  secret_sealed TEXT NOT NULL,
  stages TEXT NOT NULL DEFAULT '{}',
  status TEXT NOT NULL CHECK (status IN ('active', 'disconnected')),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_delivery_at TEXT
);
CREATE INDEX ats_connections_by_workspace ON ats_connections (workspace_id, status);

-- A workspace's pipeline settings: the Meta dataset that Instant Form leads' stages go back to
-- (the Conversions API for CRM), and internal recruiting costs per month in minor units, which
-- cost per hire adds to ad spend (ANSI/SHRM 06001's internal costs).
CREATE TABLE pipeline_settings (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  conversions_dataset_id TEXT,
  internal_costs TEXT NOT NULL DEFAULT '[]',
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Each stage an Instant Form lead reached, to be sent to Meta once: queued when the stage is
-- recorded (a repeat finds the row and adds nothing), claimed by one sender at a time (a claim
-- older than 15 minutes lost its sender), then sent or refused with Meta's reason.
CREATE TABLE pipeline_conversions (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  lead_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  ad_account_id TEXT NOT NULL,
  event_name TEXT NOT NULL,
  event_time INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'refused')),
  dataset_id TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  claim TEXT,
  claimed_at TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  PRIMARY KEY (workspace_id, lead_id, stage)
) WITHOUT ROWID;
CREATE INDEX pipeline_conversions_queued ON pipeline_conversions (status, workspace_id, updated_at) WHERE status = 'queued';
