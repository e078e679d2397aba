-- Up Migration
-- Agent tokens: one per operator (or per server); only the SHA-256 of the bearer token is stored.
CREATE TABLE harmony_tokens (
  id text PRIMARY KEY,
  owner text NOT NULL,
  label text NOT NULL DEFAULT '',
  token_sha256 bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX harmony_tokens_owner ON harmony_tokens (owner);

-- Every accepted report (history); (token_id, nonce) refuses a replayed report.
CREATE TABLE harmony_reports (
  id bigserial PRIMARY KEY,
  token_id text NOT NULL,
  nonce text NOT NULL,
  owner text NOT NULL,
  hostname text NOT NULL,
  validator_address text,
  node_reachable boolean NOT NULL,
  node_error text,
  shard_id integer,
  blskeys text[] NOT NULL DEFAULT '{}',
  mode text,
  is_backup boolean,
  peerid text,
  block_number bigint,
  reported_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  interval_s double precision NOT NULL,
  buffered boolean NOT NULL DEFAULT false,
  UNIQUE (token_id, nonce)
);
CREATE INDEX harmony_reports_host ON harmony_reports (token_id, hostname, reported_at);

-- The latest report of each host (token × hostname): what detection compares.
CREATE TABLE harmony_hosts (
  token_id text NOT NULL,
  hostname text NOT NULL,
  owner text NOT NULL,
  validator_address text,
  node_reachable boolean NOT NULL,
  shard_id integer,
  blskeys text[] NOT NULL DEFAULT '{}',
  mode text,
  is_backup boolean,
  reported_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  interval_s double precision NOT NULL,
  last_nonce text NOT NULL,
  PRIMARY KEY (token_id, hostname)
);
CREATE INDEX harmony_hosts_keys ON harmony_hosts USING gin (blskeys);

-- Per BLS key: whether a double-sign risk is open and whether it signs nowhere (so exactly one replica publishes
-- each end), and the last host that signed with it (key_moved).
CREATE TABLE harmony_keys (
  bls_key text PRIMARY KEY,
  risk_hosts text[],
  not_signing boolean NOT NULL DEFAULT false,
  last_signer text,
  last_signer_owner text
);
