-- Up Migration
-- One row per (notifier, notification, channel). 'attempting' is written before the provider is called, so a crash
-- between sending and recording is detected on redelivery and resolved by the provider's reconcile step.
CREATE TABLE notify_deliveries (
  notifier text NOT NULL,
  notification_key text NOT NULL,
  channel text NOT NULL,
  state text NOT NULL CHECK (state IN ('attempting', 'sent', 'failed')),
  attempt_id text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  ref text,
  transition text NOT NULL,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notifier, notification_key, channel)
);

-- The message that announced an episode in a channel: resolves edit it, repeats reply to it, across restarts.
CREATE TABLE notify_messages (
  notifier text NOT NULL,
  episode_id text NOT NULL,
  channel text NOT NULL,
  ref text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (notifier, episode_id, channel)
);

-- Down Migration
DROP TABLE notify_messages;
DROP TABLE notify_deliveries;
