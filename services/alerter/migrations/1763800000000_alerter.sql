-- Up Migration

-- One row: the alerter's lock and change counters. Every state change takes this row's lock (UPDATE), so
-- replicas apply batches one at a time; `version` tells a replica which state rows changed since it last looked.
CREATE TABLE alerter_meta (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  version bigint NOT NULL DEFAULT 0,
  silences_version bigint NOT NULL DEFAULT 0,
  subscriptions_version bigint NOT NULL DEFAULT 0
);
INSERT INTO alerter_meta (id) VALUES (1);

-- Condition state per fingerprint (hash of rule id + fingerprint labels).
CREATE TABLE alerter_state (
  fingerprint text PRIMARY KEY,
  rule_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'pending', 'firing')),
  episode_id text,
  since bigint,
  band text,
  last_value jsonb,
  step double precision,
  fact_at bigint NOT NULL,
  fact_id text NOT NULL,
  seen_at bigint,
  buckets jsonb,
  labels jsonb NOT NULL,
  subscription_id text,
  version bigint NOT NULL
);
CREATE INDEX alerter_state_version ON alerter_state (version);

-- Absence rules: the last time each fingerprint (e.g. a service instance) was heard from.
CREATE TABLE alerter_presence (
  fingerprint text PRIMARY KEY,
  rule_id text NOT NULL,
  labels jsonb NOT NULL,
  last_seen bigint NOT NULL,
  last_event jsonb NOT NULL
);

-- Alerts: one row per episode (pending → firing → resolved), the history the API serves.
CREATE TABLE alerter_episodes (
  episode_id text PRIMARY KEY,
  fingerprint text NOT NULL,
  rule_id text NOT NULL,
  mode text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
  severity text NOT NULL,
  source text NOT NULL,
  chain_id text NOT NULL,
  labels jsonb NOT NULL,
  summary text NOT NULL,
  description text NOT NULL,
  value double precision,
  started_at timestamptz NOT NULL,
  fired_at timestamptz,
  resolved_at timestamptz,
  event_id text,
  mentions jsonb NOT NULL,
  links jsonb NOT NULL,
  group_key text NOT NULL,
  object_key text,
  priority int,
  send_resolved boolean NOT NULL,
  repeat_interval_ms bigint NOT NULL,
  escalate_after_ms bigint,
  escalation_mentions jsonb NOT NULL,
  acked_by text,
  acked_at timestamptz,
  ack_note text,
  escalated_at timestamptz,
  notified_at timestamptz,
  next_repeat_at timestamptz,
  escalate_at timestamptz,
  repeats int NOT NULL DEFAULT 0,
  suppressed_by text
);
CREATE INDEX alerter_episodes_fingerprint ON alerter_episodes (fingerprint, started_at DESC);
CREATE INDEX alerter_episodes_started ON alerter_episodes (started_at DESC);
CREATE INDEX alerter_episodes_open ON alerter_episodes (state) WHERE state <> 'resolved';
CREATE INDEX alerter_episodes_repeat ON alerter_episodes (next_repeat_at) WHERE next_repeat_at IS NOT NULL;
CREATE INDEX alerter_episodes_escalate ON alerter_episodes (escalate_at) WHERE escalate_at IS NOT NULL;
CREATE INDEX alerter_episodes_object ON alerter_episodes (object_key) WHERE object_key IS NOT NULL;

-- Every transition of every episode, and every notification sent for it.
CREATE TABLE alerter_timeline (
  id bigserial PRIMARY KEY,
  episode_id text NOT NULL,
  at timestamptz NOT NULL,
  kind text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alerter_timeline_episode ON alerter_timeline (episode_id, id);

-- Grouping: transitions wait here until their group is due (group_wait, group_interval).
CREATE TABLE alerter_groups (
  group_key text PRIMARY KEY,
  source text NOT NULL,
  labels jsonb NOT NULL,
  group_wait_ms bigint NOT NULL,
  group_interval_ms bigint NOT NULL,
  last_flush_at bigint
);
CREATE TABLE alerter_pending (
  id bigserial PRIMARY KEY,
  group_key text NOT NULL,
  episode_id text NOT NULL,
  transition text NOT NULL,
  created_at bigint NOT NULL,
  held boolean NOT NULL DEFAULT false,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alerter_pending_group ON alerter_pending (group_key);
CREATE INDEX alerter_pending_episode ON alerter_pending (episode_id);

-- Notifications committed with the transitions that caused them, published after commit (and by any replica
-- once the lease of the one that committed them has run out).
CREATE TABLE alerter_outbox (
  seq bigserial PRIMARY KEY,
  key text NOT NULL UNIQUE,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz NOT NULL,
  published_at timestamptz
);
CREATE INDEX alerter_outbox_unpublished ON alerter_outbox (seq) WHERE published_at IS NULL;

CREATE TABLE alerter_silences (
  id text PRIMARY KEY,
  matchers jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  author text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX alerter_silences_ends ON alerter_silences (ends_at);

CREATE TABLE alerter_subscriptions (
  id text PRIMARY KEY,
  owner text NOT NULL,
  kind text NOT NULL,
  target text NOT NULL,
  chain_id text NOT NULL,
  threshold double precision,
  created_at timestamptz NOT NULL,
  UNIQUE (owner, kind, target, chain_id)
);

-- Down Migration
DROP TABLE alerter_subscriptions;
DROP TABLE alerter_silences;
DROP TABLE alerter_outbox;
DROP TABLE alerter_pending;
DROP TABLE alerter_groups;
DROP TABLE alerter_timeline;
DROP TABLE alerter_episodes;
DROP TABLE alerter_presence;
DROP TABLE alerter_state;
DROP TABLE alerter_meta;
