-- Up Migration

-- An alert whose fact was withdrawn (rule `retracted_by`, e.g. its block left the best chain): when and why.
-- Chats strike its message through.
ALTER TABLE alerter_episodes ADD COLUMN retracted_at timestamptz, ADD COLUMN retract_reason text;

-- Down Migration

ALTER TABLE alerter_episodes DROP COLUMN retracted_at, DROP COLUMN retract_reason;
