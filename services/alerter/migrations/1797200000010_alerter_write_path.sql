-- Up Migration

-- Published notifications are deleted, not marked (outbox/outbox.ts), so the partial index of the unpublished ones
-- held every row the primary key holds: each notification paid one more index entry for nothing. The relay's
-- claim (published_at IS NULL … ORDER BY seq) scans the primary key instead.
DROP INDEX alerter_outbox_unpublished;

-- A group's row is updated at each flush (last_flush_at, not indexed): with room left in its page the new version
-- goes there (a HOT update: no new primary-key entry), where full pages moved every flushed group's row. New pages
-- only.
ALTER TABLE alerter_groups SET (fillfactor = 70);

-- Down Migration
ALTER TABLE alerter_groups RESET (fillfactor);
CREATE INDEX alerter_outbox_unpublished ON alerter_outbox (seq) WHERE published_at IS NULL;
