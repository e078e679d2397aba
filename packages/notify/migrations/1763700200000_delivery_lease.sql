-- Up Migration
-- An attempt holds its row until lease_until: a second copy of the same message (a redelivery while the first
-- attempt is still sending, another replica) waits instead of sending in parallel.
ALTER TABLE notify_deliveries ADD COLUMN lease_until timestamptz NOT NULL DEFAULT now();

-- Down Migration
ALTER TABLE notify_deliveries DROP COLUMN lease_until;
