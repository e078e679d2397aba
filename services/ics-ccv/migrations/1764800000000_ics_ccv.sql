-- Up Migration
-- One row per consumer of a provider chain: the last state read from the provider and what was announced about it
-- (so a restart neither repeats nor misses a phase change).
CREATE TABLE ics_ccv_consumers (
  provider_chain_id text NOT NULL,
  consumer_id text NOT NULL,
  chain_id text NOT NULL,
  name text NOT NULL DEFAULT '',
  owner text NOT NULL DEFAULT '',
  phase text NOT NULL,
  spawn_time timestamptz,
  client_id text NOT NULL DEFAULT '',
  init_params jsonb NOT NULL DEFAULT '{}',
  opted_in text[] NOT NULL DEFAULT '{}',
  key_assignments jsonb NOT NULL DEFAULT '{}',
  announced jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (provider_chain_id, consumer_id)
);

-- Down Migration
DROP TABLE ics_ccv_consumers;
