-- Up Migration

-- Absence rules with `ends_when`: the fingerprint said goodbye (e.g. a service instance stopping cleanly), so its
-- silence is expected until it is heard from again.
ALTER TABLE alerter_presence ADD COLUMN ended boolean NOT NULL DEFAULT false;

-- Down Migration

ALTER TABLE alerter_presence DROP COLUMN ended;
