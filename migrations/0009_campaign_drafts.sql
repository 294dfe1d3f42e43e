-- Campaign drafts: a whole tree (campaign, ad sets with their ads, creatives) kept per workspace
-- before anything exists on Meta. Every edit is a new revision; an edit naming a stale revision
-- is refused, so two people never overwrite each other.
CREATE TABLE campaign_drafts (
  id             TEXT PRIMARY KEY,
  workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  ad_account_id  TEXT NOT NULL,
  revision       INTEGER NOT NULL,
  tree_json      TEXT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'launching', 'launched', 'failed')),
  created_by     TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX campaign_drafts_by_workspace ON campaign_drafts (workspace_id, updated_at);

-- What a launch has created on Meta, object by object, written as it goes: a launch that stops
-- half way resumes from here without creating anything twice.
CREATE TABLE campaign_draft_objects (
  draft_id    TEXT NOT NULL REFERENCES campaign_drafts(id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('campaign', 'adset', 'creative', 'ad')),
  meta_id     TEXT,
  status      TEXT NOT NULL CHECK (status IN ('creating', 'created', 'active')),
  started_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (draft_id, key)
) WITHOUT ROWID;
