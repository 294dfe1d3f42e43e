-- Applications from recruiting systems (the events endpoint, its CSV form, ATS adapters) and
-- Meta's Instant Form leads, upserted by the source's natural key. Contact details are kept only
-- as the SHA-256 of Meta's normalisation. Each stage an application reached is one column holding
-- the first time it got there, so a funnel is one scan of this table. The attribution columns say
-- which key joined it to Meta (strongest first), how sure that join is, and which run set it.
CREATE TABLE pipeline_applications (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  application_id TEXT NOT NULL,
  candidate_id TEXT, email_sha256 TEXT, phone_sha256 TEXT,
  job_id TEXT, job_name TEXT, location TEXT, country TEXT,
  applied_at TEXT NOT NULL, applied_date TEXT NOT NULL,
  utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_term TEXT, utm_content TEXT, placement TEXT,
  fbclid TEXT, meta_lead_id TEXT, ad_id_hint TEXT, ats_source TEXT,
  screened_at TEXT, qualified_at TEXT, interviewed_at TEXT, offered_at TEXT, hired_at TEXT, rejected_at TEXT, withdrawn_at TEXT,
  join_key TEXT CHECK (join_key IN ('lead_id', 'ad_id', 'utm_content', 'utm_term', 'utm_campaign', 'ats_source')),
  confidence REAL, ad_account_id TEXT, campaign_id TEXT, adset_id TEXT, ad_id TEXT,
  attribution_run TEXT, attribution_prior TEXT, attributed_at TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, source, application_id)
) WITHOUT ROWID;
CREATE INDEX pipeline_applications_by_account ON pipeline_applications (workspace_id, ad_account_id, applied_date);
CREATE INDEX pipeline_applications_by_day ON pipeline_applications (workspace_id, applied_date);
CREATE INDEX pipeline_applications_by_lead ON pipeline_applications (workspace_id, meta_lead_id) WHERE meta_lead_id IS NOT NULL;
CREATE INDEX pipeline_applications_by_run ON pipeline_applications (workspace_id, attribution_run) WHERE attribution_run IS NOT NULL;

-- What UTM values and ATS sources mean on Meta: campaign, ad set and ad names and ids published
-- from the mirrors by sync_campaign_taxonomy_to_pipeline (origin 'taxonomy'), and the mappings a
-- team gives by hand (origin 'manual', which a publish never overwrites). Values are lower-cased.
CREATE TABLE pipeline_mappings (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('utm_campaign', 'utm_term', 'utm_content', 'ats_source')),
  value TEXT NOT NULL,
  ad_account_id TEXT NOT NULL, campaign_id TEXT, adset_id TEXT, ad_id TEXT,
  origin TEXT NOT NULL CHECK (origin IN ('taxonomy', 'manual')),
  published_at TEXT NOT NULL,
  PRIMARY KEY (workspace_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX pipeline_mappings_by_account ON pipeline_mappings (workspace_id, ad_account_id, origin);
