-- Up Migration
-- notify_log_batch (1797200000011) answered one row per claim, in order, by joining the claims back to what they
-- inserted and to the messages remembered for their episodes. With hash and merge joins off (as they must be: see
-- that migration) those joins were nested loops over the batch, each claim scanning every row the batch inserted and
-- re-running the episodes' lookup: O(n²) per statement, half of the function's time at 128 claims a batch. This one
-- answers what it found, unordered, each row saying whose it is, and the notifier matches them up: the claimed rows
-- by (key, channel) (unique in a batch), the rows that were there before and the messages remembered by the claim's
-- ordinal. Every lookup is still by the whole primary key. A new name, so a notifier of the previous version still
-- running during a rollout keeps its own function.
CREATE FUNCTION notify_log_batch_keyed(
  p_notifier text, p_keys text[], p_channels text[], p_attempts text[], p_transitions text[],
  p_ep_ords bigint[], p_ep_ids text[], p_ep_channels text[],
  p_sent_keys text[], p_sent_channels text[], p_sent_refs text[],
  p_rem_eps text[], p_rem_channels text[], p_rem_refs text[], p_lease_ms bigint)
RETURNS TABLE (notification_key text, channel text, ord bigint, attempts integer, created_at timestamptz,
  current_state text, current_ref text, prior json)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET enable_material = off
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY WITH sent AS (
    SELECT * FROM unnest(array_fill(p_notifier, ARRAY[cardinality(p_sent_keys)]), p_sent_keys, p_sent_channels,
      p_sent_refs) AS s(notifier, notification_key, channel, ref)),
  marked AS (
    UPDATE notify_deliveries d SET state = 'sent', ref = s.ref, updated_at = now() FROM sent s
    WHERE d.notifier = s.notifier AND d.notification_key = s.notification_key AND d.channel = s.channel),
  remembered AS (
    INSERT INTO notify_messages (notifier, episode_id, channel, ref)
    SELECT p_notifier, m.episode_id, m.channel, m.ref
    FROM unnest(p_rem_eps, p_rem_channels, p_rem_refs) AS m(episode_id, channel, ref)
    ON CONFLICT DO NOTHING),
  input AS (
    SELECT * FROM unnest(array_fill(p_notifier, ARRAY[cardinality(p_keys)]), p_keys, p_channels, p_attempts,
      p_transitions) WITH ORDINALITY AS x(notifier, notification_key, channel, attempt_id, transition, ord)),
  claimed AS (
    INSERT INTO notify_deliveries AS nd (notifier, notification_key, channel, state, attempt_id, transition, lease_until)
    SELECT p_notifier, i.notification_key, i.channel, 'attempting', i.attempt_id, i.transition,
      now() + p_lease_ms * interval '1 millisecond'
    FROM input i ORDER BY i.notification_key, i.channel
    ON CONFLICT (notifier, notification_key, channel)
    DO UPDATE SET attempts = nd.attempts + 1, updated_at = now(), lease_until = EXCLUDED.lease_until
      WHERE nd.state = 'attempting' AND nd.lease_until <= now()
    RETURNING nd.notification_key, nd.channel, nd.attempts, nd.created_at)
  -- Claimed, by (key, channel).
  SELECT c.notification_key, c.channel, NULL::bigint, c.attempts, c.created_at, NULL::text, NULL::text, NULL::json
  FROM claimed c
  UNION ALL
  -- The rows as they were before this statement (the snapshot's), by ordinal: what an unclaimed one is.
  SELECT NULL, NULL, i.ord, NULL, NULL, d.state, d.ref, NULL
  FROM input i
  JOIN notify_deliveries d
    ON d.notifier = i.notifier AND d.notification_key = i.notification_key AND d.channel = i.channel
  UNION ALL
  -- The messages already posted about a claim's episodes, by ordinal.
  SELECT NULL, NULL, e.ord, NULL, NULL, NULL, NULL, json_agg(json_build_array(m.episode_id, m.ref))
  FROM unnest(array_fill(p_notifier, ARRAY[cardinality(p_ep_ords)]), p_ep_ords, p_ep_ids, p_ep_channels)
    AS e(notifier, ord, episode_id, channel)
  JOIN notify_messages m ON m.notifier = e.notifier AND m.episode_id = e.episode_id AND m.channel = e.channel
  GROUP BY e.ord;
END
$fn$;

-- Down Migration
DROP FUNCTION notify_log_batch_keyed(text, text[], text[], text[], text[], bigint[], text[], text[], text[], text[],
  text[], text[], text[], text[], bigint);
