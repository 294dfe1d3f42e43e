-- The channel a governed action came in by (http, mcp, approval); NULL for rows from before
-- channels were recorded and for gateway-started work (cron, recovery).
ALTER TABLE audit_log ADD COLUMN via TEXT;
