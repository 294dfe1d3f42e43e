-- Members: the people of a workspace. API keys belong to a member, and four-eyes compares
-- members, never keys, so one person holding two keys is still one person.
CREATE TABLE members (
  id           TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  email        TEXT,
  role         TEXT NOT NULL CHECK (role IN ('recruiter', 'admin')),
  -- Who created the member: 'bootstrap', a member id, or 'migration' for members made from
  -- the keys that existed before members did.
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX members_by_workspace ON members (workspace_id);
CREATE UNIQUE INDEX members_by_email ON members (workspace_id, email) WHERE email IS NOT NULL;

-- Every existing key becomes its own member (one person per key, as the keys were used).
ALTER TABLE api_keys ADD COLUMN member_id TEXT REFERENCES members(id);
INSERT INTO members (id, workspace_id, name, email, role, created_by, created_at, updated_at)
  SELECT 'mem_' || substr(id, 5), workspace_id, coalesce(label, prefix), NULL, role, 'migration', created_at, updated_at
  FROM api_keys;
UPDATE api_keys SET member_id = 'mem_' || substr(id, 5);
CREATE INDEX api_keys_by_member ON api_keys (member_id);

-- The person behind each audit row (the key stays in `actor`); older rows keep NULL, since
-- the log is append-only.
ALTER TABLE audit_log ADD COLUMN actor_member_id TEXT;

-- The person who asked for and who decided an approval: a member id, or 'bootstrap'.
ALTER TABLE approvals ADD COLUMN requested_by_member TEXT;
ALTER TABLE approvals ADD COLUMN decided_by_member TEXT;
UPDATE approvals SET requested_by_member = coalesce((SELECT k.member_id FROM api_keys k WHERE k.id = approvals.requested_by), requested_by);
UPDATE approvals SET decided_by_member = coalesce((SELECT k.member_id FROM api_keys k WHERE k.id = approvals.decided_by), decided_by)
  WHERE decided_by IS NOT NULL;

-- A binding is verified when the workspace's own integration showed Meta lets it see the
-- account. A manual binding is not, and yields to a verified bind of another workspace.
ALTER TABLE ad_accounts ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
UPDATE ad_accounts SET verified = 1 WHERE integration_id IS NOT NULL;
