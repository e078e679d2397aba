-- Up Migration

-- An incident's later notification lists its members already announced (the notifier edits their message): open
-- episodes by group.
CREATE INDEX alerter_episodes_open_group ON alerter_episodes (group_key) WHERE state <> 'resolved';

-- Down Migration

DROP INDEX alerter_episodes_open_group;
