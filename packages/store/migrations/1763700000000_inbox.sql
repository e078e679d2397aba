-- Up Migration
-- Which messages a consumer has already applied: the effect of a message and its inbox row commit together,
-- so a redelivery (after a crash between commit and ack) is recognised and skipped.
CREATE TABLE IF NOT EXISTS tocsin_inbox (
  consumer text NOT NULL,
  message_key text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, message_key)
);
CREATE INDEX IF NOT EXISTS tocsin_inbox_processed_at ON tocsin_inbox (processed_at);

-- Down Migration
DROP TABLE tocsin_inbox;
