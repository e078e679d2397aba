-- Up Migration

-- The condition state of an alert that has been ok for `alerter.state_retention` is deleted (pruneStates): without
-- it, every fingerprint ever seen stayed in the table and in every replica's memory (a rule keyed by block and
-- transfer, such as subspace-large-transfer, adds one for each match, forever). A replica cannot see a deleted row
-- in the rows changed since its version, so each prune counts here, and a replica that sees the count move reads
-- which fingerprints are still stored and forgets the others.
ALTER TABLE alerter_meta ADD COLUMN state_pruned bigint NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE alerter_meta DROP COLUMN state_pruned;
