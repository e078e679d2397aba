-- Up Migration
-- What each alert message shows (the announcing notification with its alerts' latest states, who acknowledged or
-- silenced it), so resolves, acknowledgements and button presses re-render it, also after a restart.
CREATE TABLE telegram_messages (
  chat_id bigint NOT NULL,
  message_id bigint NOT NULL,
  state jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chat_id, message_id)
);

-- Telegram has no idempotency key and a bot cannot read a chat's history: each message a delivery sends is
-- recorded here the moment Telegram answers with its id, so a redelivery after a crash sends only what is missing.
CREATE TABLE telegram_sent (
  attempt_id text NOT NULL,
  step text NOT NULL,
  chat_id bigint NOT NULL,
  message_id bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (attempt_id, step)
);

-- Down Migration
DROP TABLE telegram_sent;
DROP TABLE telegram_messages;
