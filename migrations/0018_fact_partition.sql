-- Facts past one D1: each ad account's breakdown and hourly facts (`breakdown_set` not '') live
-- in that account's `AccountFacts` Durable Object (its own SQLite database, written in parallel
-- with every other account's); D1 keeps the whole-day ad facts the daily aggregates are built
-- from, the aggregates, the mirrors, governance and audit. An account with no row here keeps its
-- facts in D1 (as before); the daily tick moves them.
--
-- store: 'copying'  facts still written to and read from D1 while they are copied by key order;
--        'settling' the copy is checked day by day against D1 by totals; fact writes wait;
--        'object'   facts are written to and read from the object; D1's copies are removed.
CREATE TABLE fact_placement (
  ad_account_id TEXT PRIMARY KEY,
  workspace_id  TEXT NOT NULL,
  store         TEXT NOT NULL CHECK (store IN ('copying', 'settling', 'object')),
  -- The last key copied (JSON array), and counts for the operator.
  cursor        TEXT,
  rows_copied   INTEGER NOT NULL DEFAULT 0,
  days_recopied INTEGER NOT NULL DEFAULT 0,
  -- Rows left in D1 after the switch (removed in bounded rounds); 0 when done.
  d1_rows_left  INTEGER NOT NULL DEFAULT 0,
  -- What the check compared when it switched: rows and money per store.
  checked_json  TEXT,
  started_at    TEXT NOT NULL,
  switched_at   TEXT,
  updated_at    TEXT NOT NULL
);
CREATE INDEX fact_placement_by_store ON fact_placement (store, updated_at);

-- D1 refuses a partitioned fact write once its account is settling or moved: a writer that read
-- the placement before it changed fails and, on its retry, writes where the facts now live. This
-- is what lets the check compare a D1 that no longer changes.
CREATE TRIGGER insights_facts_placed_insert BEFORE INSERT ON insights_facts
WHEN new.breakdown_set <> '' AND EXISTS (SELECT 1 FROM fact_placement p WHERE p.ad_account_id = new.ad_account_id AND p.store IN ('settling', 'object'))
BEGIN SELECT RAISE(ABORT, 'facts moved: this account''s partitioned facts live in its fact object'); END;

CREATE TRIGGER insights_facts_placed_update BEFORE UPDATE ON insights_facts
WHEN new.breakdown_set <> '' AND EXISTS (SELECT 1 FROM fact_placement p WHERE p.ad_account_id = new.ad_account_id AND p.store IN ('settling', 'object'))
BEGIN SELECT RAISE(ABORT, 'facts moved: this account''s partitioned facts live in its fact object'); END;

-- While settling, D1's partitioned facts stay as the check reads them (after the switch the
-- cleanup removes them).
CREATE TRIGGER insights_facts_placed_delete BEFORE DELETE ON insights_facts
WHEN old.breakdown_set <> '' AND EXISTS (SELECT 1 FROM fact_placement p WHERE p.ad_account_id = old.ad_account_id AND p.store = 'settling')
BEGIN SELECT RAISE(ABORT, 'facts moved: this account''s partitioned facts are being checked'); END;
