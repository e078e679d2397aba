-- Up Migration
-- The latest observation of each IBC client: the previous height for client_updated, and the RPC answers
-- (clients, $data) after a restart before the first scan finishes.
CREATE TABLE cosmos_ibc_clients (
  chain_id text NOT NULL,
  client_id text NOT NULL,
  client_type text NOT NULL,
  counterparty_chain_id text,
  connection_ids text[] NOT NULL DEFAULT '{}',
  status text NOT NULL,
  trusting_period_s double precision,
  revision_number numeric(20, 0),
  revision_height numeric(20, 0),
  last_update timestamptz,
  observed_at timestamptz NOT NULL,
  PRIMARY KEY (chain_id, client_id)
);

-- Clients seen Expired: skipped by scans until re-checked (daily, or on demand after a governance recovery).
CREATE TABLE cosmos_ibc_expired_clients (
  chain_id text NOT NULL,
  client_id text NOT NULL,
  expired_seen_at timestamptz NOT NULL,
  last_checked_at timestamptz NOT NULL,
  PRIMARY KEY (chain_id, client_id)
);

-- Wallet balance samples, for the burn rate and the projected time to empty.
CREATE TABLE cosmos_ibc_wallet_balances (
  chain_id text NOT NULL,
  address text NOT NULL,
  denom text NOT NULL,
  observed_at timestamptz NOT NULL,
  amount numeric(78, 0) NOT NULL,
  PRIMARY KEY (chain_id, address, denom, observed_at)
);

-- The last wallet subscriptions the alerter gave us, used when it does not answer.
CREATE TABLE cosmos_ibc_wallet_subscriptions (
  id text PRIMARY KEY,
  owner text NOT NULL,
  chain_id text NOT NULL,
  address text NOT NULL,
  threshold double precision,
  created_at timestamptz NOT NULL,
  refreshed_at timestamptz NOT NULL
);
CREATE INDEX cosmos_ibc_wallet_subscriptions_target ON cosmos_ibc_wallet_subscriptions (chain_id, address);

-- Down Migration
DROP TABLE cosmos_ibc_wallet_subscriptions;
DROP TABLE cosmos_ibc_wallet_balances;
DROP TABLE cosmos_ibc_expired_clients;
DROP TABLE cosmos_ibc_clients;
