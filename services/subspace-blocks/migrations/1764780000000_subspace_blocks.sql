-- Up Migration
-- The fork monitor's state per instance (blocks tracked, which were checked, the best tip), the slot/farmer
-- windows and the transfers/sudo calls reported per block (to retract them after a reorg): a restart resumes
-- where it stopped, without checking (and alerting) a block twice.
CREATE TABLE subspace_blocks_state (
  chain_id text NOT NULL,
  instance text NOT NULL,
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (chain_id, instance)
);

-- Important-address balance samples, for the burn rate and the projected time to empty.
CREATE TABLE subspace_blocks_balances (
  chain_id text NOT NULL,
  address text NOT NULL,
  observed_at timestamptz NOT NULL,
  free numeric(78, 0) NOT NULL,
  PRIMARY KEY (chain_id, address, observed_at)
);

-- Down Migration
DROP TABLE subspace_blocks_balances;
DROP TABLE subspace_blocks_state;
