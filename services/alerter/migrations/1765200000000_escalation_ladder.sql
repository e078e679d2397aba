-- Up Migration

-- Escalation ladders (issue #17): the ladder an episode climbs (its policy's steps, compiled), where it is on it,
-- and an acknowledgement that holds only until a chosen time.
ALTER TABLE alerter_episodes
  ADD COLUMN escalation_ladder jsonb,
  ADD COLUMN ladder_pos int NOT NULL DEFAULT 0,
  ADD COLUMN ladder_round int NOT NULL DEFAULT 0,
  ADD COLUMN ack_until timestamptz;
CREATE INDEX alerter_episodes_ack_until ON alerter_episodes (ack_until) WHERE ack_until IS NOT NULL;
