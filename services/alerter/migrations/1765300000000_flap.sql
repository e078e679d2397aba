-- Up Migration

-- Flap suppression (issue 17): per fingerprint, when it changed (fired/resolved) within its rule's flap window,
-- and, while flapping, the episode whose message is edited as it flips ({flips: [ms…], card: episode id | null}).
ALTER TABLE alerter_state ADD COLUMN flap jsonb;
