-- Governance policies per workspace, one row per kind, set by the admin_meta_ads_governance
-- actions. value_json holds the policy as the action validated it.
CREATE TABLE governance_policies (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL
               CHECK (kind IN ('campaign_guardrails', 'daily_budget_caps', 'approval_thresholds')),
  value_json   TEXT NOT NULL,
  updated_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (workspace_id, kind)
);

-- Integrations are looked up by workspace and status when quarantining and refreshing.
CREATE INDEX audit_log_by_action ON audit_log (workspace_id, action, occurred_at);
