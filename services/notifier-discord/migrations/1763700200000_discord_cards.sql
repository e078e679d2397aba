-- Up Migration
-- What each alert message shows (the notifications it was rendered from, as they change), so that a resolve,
-- an acknowledgement or a button click can re-render and edit it, across restarts and replicas.
CREATE TABLE discord_cards (
  channel_id text NOT NULL,
  message_id text NOT NULL,
  -- Every message of a card split into parts, in order (message_id is the first).
  part_ids text[] NOT NULL,
  card jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, message_id)
);
CREATE INDEX discord_cards_parts ON discord_cards USING gin (part_ids);

-- Down Migration
DROP TABLE discord_cards;
