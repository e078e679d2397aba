-- Up Migration

-- Per-user subscriptions to the alerts of a chain or a source, with a cadence (issue 17, `$subscribe`):
-- immediate = the owner is tagged on each alert; hourly / daily = one digest message a period (UTC boundaries).
CREATE TABLE alerter_alert_subscriptions (
  id text PRIMARY KEY,
  owner text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('chain', 'source')),
  value text NOT NULL,
  cadence text NOT NULL CHECK (cadence IN ('immediate', 'hourly', 'daily')),
  created_at timestamptz NOT NULL,
  UNIQUE (owner, scope, value)
);

-- The digests decided, one row per (owner, cadence, period): written with the digest's outbox row in the tick's
-- transaction, so a period is summarised once across replicas and restarts (an empty period is recorded too, with
-- no notification). `key` is the notification's key (Nats-Msg-Id, delivery-log key).
CREATE TABLE alerter_digests (
  owner text NOT NULL,
  cadence text NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  key text NOT NULL,
  alerts integer NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (owner, cadence, period_start)
);

-- Down Migration
DROP TABLE alerter_digests;
DROP TABLE alerter_alert_subscriptions;
