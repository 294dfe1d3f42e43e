-- A webhook event is dispatched (its runs queued) after it is stored, by the batch that claimed
-- it; a batch that fails in between releases its claim (or the claim expires) and the queue's
-- redelivery (or, past its retries, the cron tick's sweep) dispatches the event: none is left undispatched.
ALTER TABLE webhook_events ADD COLUMN claimed_at TEXT;
CREATE INDEX webhook_events_undispatched ON webhook_events (received_at) WHERE status = 'received';
-- Events stored before this migration were dispatched by the consumer that stored them.
UPDATE webhook_events SET status = 'dispatched' WHERE status = 'received';
