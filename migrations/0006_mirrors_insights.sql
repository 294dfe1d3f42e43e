-- Mirrors of each bound account's structure, upserted by Meta id. Deleted and archived objects
-- stay (status says so), so history is whole. raw_json keeps everything Graph returned.
CREATE TABLE meta_campaigns (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  name TEXT, status TEXT, effective_status TEXT, meta_created_time TEXT, meta_updated_time TEXT,
  objective TEXT, buying_type TEXT, bid_strategy TEXT, daily_budget INTEGER, lifetime_budget INTEGER,
  special_ad_categories_json TEXT, start_time TEXT, stop_time TEXT,
  raw_json TEXT NOT NULL, sync_run_id TEXT, synced_at TEXT NOT NULL
);
CREATE INDEX meta_campaigns_by_account ON meta_campaigns (ad_account_id, effective_status);

CREATE TABLE meta_ad_sets (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  name TEXT, status TEXT, effective_status TEXT, meta_created_time TEXT, meta_updated_time TEXT,
  campaign_id TEXT, optimization_goal TEXT, billing_event TEXT, bid_strategy TEXT,
  daily_budget INTEGER, lifetime_budget INTEGER, start_time TEXT, end_time TEXT, targeting_json TEXT,
  raw_json TEXT NOT NULL, sync_run_id TEXT, synced_at TEXT NOT NULL
);
CREATE INDEX meta_ad_sets_by_account ON meta_ad_sets (ad_account_id, campaign_id);

CREATE TABLE meta_ads (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  name TEXT, status TEXT, effective_status TEXT, meta_created_time TEXT, meta_updated_time TEXT,
  campaign_id TEXT, adset_id TEXT, creative_id TEXT,
  raw_json TEXT NOT NULL, sync_run_id TEXT, synced_at TEXT NOT NULL
);
CREATE INDEX meta_ads_by_account ON meta_ads (ad_account_id, adset_id);

CREATE TABLE meta_creatives (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  name TEXT, status TEXT, effective_status TEXT, meta_created_time TEXT, meta_updated_time TEXT,
  object_story_spec_json TEXT, title TEXT, body TEXT, image_hash TEXT,
  raw_json TEXT NOT NULL, sync_run_id TEXT, synced_at TEXT NOT NULL
);
CREATE INDEX meta_creatives_by_account ON meta_creatives (ad_account_id);

-- Performance facts at ad level by the natural key: account, ad, date (and hour, -1 for the whole
-- day), breakdown values (canonical 'name=value|...', '' for none) and attribution window.
-- Money in the account's minor currency unit. Re-syncing a day replaces its rows.
CREATE TABLE insights_facts (
  ad_account_id TEXT NOT NULL, object_id TEXT NOT NULL, date TEXT NOT NULL,
  hour INTEGER NOT NULL DEFAULT -1, breakdown_key TEXT NOT NULL DEFAULT '',
  attribution_window TEXT NOT NULL DEFAULT 'default',
  breakdown_set TEXT NOT NULL DEFAULT '', workspace_id TEXT NOT NULL, campaign_id TEXT, adset_id TEXT,
  source TEXT NOT NULL DEFAULT 'meta',
  impressions INTEGER NOT NULL DEFAULT 0, reach INTEGER NOT NULL DEFAULT 0, clicks INTEGER NOT NULL DEFAULT 0,
  link_clicks INTEGER NOT NULL DEFAULT 0, spend_minor INTEGER NOT NULL DEFAULT 0, leads INTEGER NOT NULL DEFAULT 0,
  purchases INTEGER NOT NULL DEFAULT 0, purchase_value_minor INTEGER NOT NULL DEFAULT 0,
  actions_json TEXT NOT NULL DEFAULT '{}', sync_run_id TEXT, updated_at TEXT NOT NULL,
  PRIMARY KEY (ad_account_id, object_id, date, hour, breakdown_key, attribution_window)
) WITHOUT ROWID;
CREATE INDEX insights_facts_by_day ON insights_facts (ad_account_id, date, attribution_window, breakdown_key, hour);

-- Daily aggregates per account, campaign, ad set and ad (whole days, no breakdown), rebuilt for
-- exactly the days a run touched. Ratios (CTR, CPC, CPM, CPL, CPA, frequency) are derived on read.
CREATE TABLE insights_daily (
  ad_account_id TEXT NOT NULL, level TEXT NOT NULL CHECK (level IN ('account', 'campaign', 'adset', 'ad')),
  object_id TEXT NOT NULL, date TEXT NOT NULL, attribution_window TEXT NOT NULL,
  workspace_id TEXT NOT NULL,
  impressions INTEGER NOT NULL, reach INTEGER NOT NULL, clicks INTEGER NOT NULL, link_clicks INTEGER NOT NULL,
  spend_minor INTEGER NOT NULL, leads INTEGER NOT NULL, purchases INTEGER NOT NULL, purchase_value_minor INTEGER NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (ad_account_id, level, object_id, date, attribution_window)
) WITHOUT ROWID;
CREATE INDEX insights_daily_by_level ON insights_daily (ad_account_id, level, date);

-- Per-account sync state: the structure watermark for incremental runs, and the backfill.
CREATE TABLE sync_state (
  ad_account_id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL,
  structure_synced_unix INTEGER, backfilled_through TEXT,
  updated_at TEXT NOT NULL
);

-- Where a run is, so an interrupted run resumes from its last committed page.
ALTER TABLE sync_runs ADD COLUMN phase TEXT;
ALTER TABLE sync_runs ADD COLUMN cursor TEXT;
ALTER TABLE sync_runs ADD COLUMN since_unix INTEGER;
ALTER TABLE sync_runs ADD COLUMN object_ids_json TEXT;

-- Mismatches found by validation after a run (e.g. ads do not add up to the account total).
CREATE TABLE data_quality_events (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL, sync_run_id TEXT,
  kind TEXT NOT NULL, date TEXT, expected_json TEXT, actual_json TEXT, detail TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX data_quality_events_by_account ON data_quality_events (ad_account_id, created_at);

-- Insights settings per workspace: breakdown sets, attribution windows, backfill and fresh window.
CREATE TABLE insights_settings (
  workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
  breakdown_sets_json TEXT NOT NULL DEFAULT '[]',
  attribution_windows_json TEXT NOT NULL DEFAULT '[]',
  backfill_days INTEGER NOT NULL DEFAULT 7,
  attribution_window_days INTEGER NOT NULL DEFAULT 7,
  updated_at TEXT NOT NULL
);

-- Webhook notifications as received (deduplicated: Meta delivers at least once).
CREATE TABLE webhook_events (
  id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, object TEXT NOT NULL, entry_id TEXT NOT NULL,
  field TEXT NOT NULL, value_json TEXT NOT NULL, received_at TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'received'
);

-- Metric facts ingested from other sources, upserted by their natural key: provider, level, the
-- provider's id, the account's date (and hour), breakdown values and attribution window.
CREATE TABLE metric_facts (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  provider TEXT NOT NULL, level TEXT NOT NULL CHECK (level IN ('campaign', 'adset', 'ad')),
  external_entity_id TEXT NOT NULL, date TEXT NOT NULL, hour INTEGER NOT NULL DEFAULT -1,
  breakdown_key TEXT NOT NULL DEFAULT '', attribution_window TEXT NOT NULL DEFAULT 'default',
  ad_account_id TEXT NOT NULL, campaign_id TEXT, adset_id TEXT, currency TEXT NOT NULL,
  impressions INTEGER NOT NULL, reach INTEGER NOT NULL, clicks INTEGER NOT NULL, link_clicks INTEGER NOT NULL,
  spend_minor INTEGER NOT NULL, leads INTEGER NOT NULL, purchases INTEGER NOT NULL, purchase_value_minor INTEGER NOT NULL,
  event_at TEXT, ingested_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, provider, level, external_entity_id, date, hour, breakdown_key, attribution_window)
) WITHOUT ROWID;
-- Covers the dashboard read (one account, a date range, by campaign) without touching the rows.
CREATE INDEX metric_facts_by_account_day ON metric_facts (ad_account_id, date, campaign_id, spend_minor, impressions, clicks, leads);

-- Leads fetched after a leadgen webhook, by Meta's lead id. field_data holds the answers.
CREATE TABLE meta_leads (
  id TEXT PRIMARY KEY, ad_account_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
  form_id TEXT, ad_id TEXT, adset_id TEXT, campaign_id TEXT, created_time TEXT,
  field_data_json TEXT NOT NULL, sync_run_id TEXT, synced_at TEXT NOT NULL
);
CREATE INDEX meta_leads_by_account ON meta_leads (ad_account_id, created_time);

-- The daily aggregates with their ratios (money per unit in minor units; NULL where the divisor
-- is zero). Reach summed over ads counts a person once per ad, so frequency here is a floor.
CREATE VIEW insights_daily_metrics AS
SELECT ad_account_id, level, object_id, date, attribution_window, workspace_id,
       spend_minor, impressions, reach, clicks, link_clicks, leads, purchases, purchase_value_minor,
       CASE WHEN impressions > 0 THEN ROUND(clicks * 100.0 / impressions, 4) END AS ctr_pct,
       CASE WHEN clicks > 0 THEN ROUND(spend_minor * 1.0 / clicks, 4) END AS cpc_minor,
       CASE WHEN impressions > 0 THEN ROUND(spend_minor * 1000.0 / impressions, 4) END AS cpm_minor,
       CASE WHEN leads > 0 THEN ROUND(spend_minor * 1.0 / leads, 4) END AS cpl_minor,
       CASE WHEN purchases > 0 THEN ROUND(spend_minor * 1.0 / purchases, 4) END AS cpa_minor,
       CASE WHEN reach > 0 THEN ROUND(impressions * 1.0 / reach, 4) END AS frequency
FROM insights_daily;
