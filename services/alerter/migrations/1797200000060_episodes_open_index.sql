-- Up Migration

-- The open episodes are indexed twice: by state (alerter_episodes_open) and by group (alerter_episodes_open_group,
-- the same rows). Every new episode paid both entries, and on a table whose statistics lag a burst (thousands of
-- episodes opened since the last ANALYZE) the planner took the state index for the flush's incident members
-- (`group_key = ANY(…) AND state = 'firing'`: every firing episode read, each batch) and for the tick's due
-- checks. Queries by state alone (the open episodes: commands, maintenance, history's `state = …` filter) scan
-- alerter_episodes_open_group whole instead, which holds the same rows. Dropping an index breaks no replica on the
-- old code: its queries only plan differently.
DROP INDEX IF EXISTS alerter_episodes_open;

-- Down Migration
CREATE INDEX IF NOT EXISTS alerter_episodes_open ON alerter_episodes (state) WHERE state <> 'resolved';
