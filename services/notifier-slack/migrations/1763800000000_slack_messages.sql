-- Up Migration
-- What each alert message shows (the announcing notification with its alerts' latest states), so resolves,
-- acknowledgements and button clicks re-render the whole message, also after a restart.
CREATE TABLE slack_messages (
  channel text NOT NULL,
  ts text NOT NULL,
  state jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel, ts)
);

-- Down Migration
DROP TABLE slack_messages;
