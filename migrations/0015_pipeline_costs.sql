-- Recruiting costs besides Meta's ad spend, per ad account and month (`YYYY-MM`), in the account
-- currency's minor units: other external costs (agencies, job boards, events) and internal ones
-- (recruiters' time, tools). Cost per hire's total variant (ANSI/SHRM 06001) spreads each month
-- over its days. These replace the unused workspace-wide list in pipeline_settings.
CREATE TABLE pipeline_costs (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  ad_account_id TEXT NOT NULL,
  month TEXT NOT NULL,
  internal_minor INTEGER NOT NULL CHECK (internal_minor >= 0),
  external_minor INTEGER NOT NULL CHECK (external_minor >= 0),
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, ad_account_id, month)
) WITHOUT ROWID;

ALTER TABLE pipeline_settings DROP COLUMN internal_costs;
