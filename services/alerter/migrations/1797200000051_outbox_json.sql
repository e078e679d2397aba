-- Up Migration

-- A notification's payload is stored and published as the alerter serialized it, and never queried inside: json
-- (the text, checked) rather than jsonb, which parsed every payload into a tree (keys sorted, numbers converted) at
-- every insert, the largest part of a batch's statement (grouping/flush.ts, `queued`).
ALTER TABLE alerter_outbox ALTER COLUMN payload TYPE json USING payload::json;

-- Down Migration
ALTER TABLE alerter_outbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb;
