-- Up Migration
-- Report intake's batch statements as functions: PL/pgSQL keeps their plans for the session, so a batch no longer
-- pays for planning its statements (about half of their PostgreSQL time at 25 reports a batch). The statements are
-- those the service sent before; see services/harmony-signers/src/store.ts for what each does and why.

-- Inserts the history rows, locks the batch's hosts that exist and creates and locks the rows of the keys involved
-- (each in byte order); then, in a statement of its own (a VOLATILE function's statements each take a fresh
-- snapshot in READ COMMITTED, after the locks), the hosts holding those keys since fresh_since and the hosts of
-- their open risks. kind: r (a report inserted), h (a locked host), k (a key's row), x (a holder).
CREATE FUNCTION harmony_record_and_lock(reports jsonb, hosts jsonb, report_keys jsonb, fresh_since timestamptz)
RETURNS TABLE (kind text, row_data jsonb) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RETURN QUERY
  WITH ins AS (
    INSERT INTO harmony_reports (token_id, nonce, owner, hostname, validator_address, node_reachable, node_error,
      shard_id, blskeys, mode, is_backup, peerid, block_number, reported_at, received_at, interval_s, buffered)
    SELECT x.token_id, x.nonce, x.owner, x.hostname, x.validator_address, x.node_reachable, x.node_error, x.shard_id,
      x.blskeys, x.mode, x.is_backup, x.peerid, x.block_number, x.reported_at, x.received_at, x.interval_s, x.buffered
    FROM jsonb_to_recordset(reports) AS x(token_id text, nonce text, owner text, hostname text,
      validator_address text, node_reachable boolean, node_error text, shard_id integer, blskeys text[], mode text,
      is_backup boolean, peerid text, block_number bigint, reported_at timestamptz, received_at timestamptz,
      interval_s double precision, buffered boolean)
    ON CONFLICT (token_id, nonce) DO NOTHING RETURNING harmony_reports.token_id, harmony_reports.nonce
  ), h AS (
    SELECT * FROM harmony_hosts WHERE (harmony_hosts.token_id, harmony_hosts.hostname) IN (
      SELECT y.token_id, y.hostname FROM jsonb_to_recordset(hosts) AS y(token_id text, hostname text))
    ORDER BY harmony_hosts.token_id COLLATE "C", harmony_hosts.hostname COLLATE "C" FOR UPDATE
  ), k AS (
    INSERT INTO harmony_keys (bls_key)
    SELECT u.key FROM (SELECT jsonb_array_elements_text(report_keys) AS key UNION SELECT unnest(h.blskeys) FROM h) u
    ORDER BY u.key COLLATE "C"
    ON CONFLICT (bls_key) DO UPDATE SET bls_key = EXCLUDED.bls_key
    RETURNING harmony_keys.bls_key, harmony_keys.risk_hosts, harmony_keys.not_signing, harmony_keys.last_signer,
      harmony_keys.last_signer_owner
  )
  SELECT 'r', to_jsonb(ins) FROM ins
  UNION ALL SELECT 'h', to_jsonb(h) FROM h
  UNION ALL SELECT 'k', to_jsonb(k) FROM k;

  RETURN QUERY
  WITH k AS (
    SELECT harmony_keys.bls_key, harmony_keys.risk_hosts FROM harmony_keys WHERE harmony_keys.bls_key IN (
      SELECT jsonb_array_elements_text(report_keys)
      UNION SELECT unnest(hh.blskeys) FROM harmony_hosts hh WHERE (hh.token_id, hh.hostname) IN (
        SELECT y.token_id, y.hostname FROM jsonb_to_recordset(hosts) AS y(token_id text, hostname text)))
  )
  SELECT 'x', to_jsonb(hs) FROM harmony_hosts hs
  WHERE (hs.blskeys && ARRAY(SELECT k.bls_key FROM k) AND hs.reported_at >= fresh_since)
    OR (hs.token_id || '/' || hs.hostname) = ANY(ARRAY(SELECT unnest(k.risk_hosts) FROM k));
END
$$;

-- The batch's write-back: the hosts' latest state (inserted when new, in byte order) and the keys' rows it changed.
CREATE FUNCTION harmony_write_back(hosts jsonb, key_rows jsonb) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO harmony_hosts (token_id, hostname, owner, validator_address, node_reachable, shard_id, blskeys,
    mode, is_backup, reported_at, received_at, interval_s, last_nonce)
  SELECT x.token_id, x.hostname, x.owner, x.validator_address, x.node_reachable, x.shard_id, x.blskeys, x.mode,
    x.is_backup, x.reported_at, x.received_at, x.interval_s, x.last_nonce
  FROM jsonb_to_recordset(hosts) AS x(token_id text, hostname text, owner text, validator_address text,
    node_reachable boolean, shard_id integer, blskeys text[], mode text, is_backup boolean,
    reported_at timestamptz, received_at timestamptz, interval_s double precision, last_nonce text)
  ORDER BY x.token_id COLLATE "C", x.hostname COLLATE "C"
  ON CONFLICT (token_id, hostname) DO UPDATE SET owner = EXCLUDED.owner,
    validator_address = EXCLUDED.validator_address, node_reachable = EXCLUDED.node_reachable,
    shard_id = EXCLUDED.shard_id, blskeys = EXCLUDED.blskeys, mode = EXCLUDED.mode,
    is_backup = EXCLUDED.is_backup, reported_at = EXCLUDED.reported_at, received_at = EXCLUDED.received_at,
    interval_s = EXCLUDED.interval_s, last_nonce = EXCLUDED.last_nonce;
  UPDATE harmony_keys k SET risk_hosts = x.risk_hosts, not_signing = x.not_signing,
    last_signer = x.last_signer, last_signer_owner = x.last_signer_owner
  FROM jsonb_to_recordset(key_rows) AS x(bls_key text, risk_hosts text[], not_signing boolean,
    last_signer text, last_signer_owner text)
  WHERE k.bls_key = x.bls_key;
END
$$;

-- Down Migration
DROP FUNCTION harmony_write_back(jsonb, jsonb);
DROP FUNCTION harmony_record_and_lock(jsonb, jsonb, jsonb, timestamptz);
