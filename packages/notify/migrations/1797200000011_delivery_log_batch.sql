-- Up Migration
-- The delivery log's batch statement (claims with the messages already posted about their episodes, sent marks with
-- the messages they remember), as a function: its plan is made once per session and kept (planning the statement
-- for every batch cost the notifier's PostgreSQL backend more than running it). A kept plan is made for any batch
-- and any table size, often while the table is still empty; there, the cheapest-looking plans read every row of the
-- notifier once per batch and join them in memory (1 → 30 ms a statement as the table grows, until autoanalyze).
-- So every lookup is by the whole primary key, each row on its own, whatever the table's size: the notifier comes
-- from the unnested arrays (array_fill), not as a constant (an index scan on the notifier alone is no option), and
-- the plans that could scan a whole table or keep an inner scan in memory are switched off for this function.
CREATE FUNCTION notify_log_batch(
  p_notifier text, p_keys text[], p_channels text[], p_attempts text[], p_transitions text[],
  p_ep_ords bigint[], p_ep_ids text[], p_ep_channels text[],
  p_sent_keys text[], p_sent_channels text[], p_sent_refs text[],
  p_rem_eps text[], p_rem_channels text[], p_rem_refs text[], p_lease_ms bigint)
RETURNS TABLE (attempts integer, created_at timestamptz, current_state text, current_ref text, prior json)
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
    RETURNING nd.notification_key, nd.channel, nd.attempts, nd.created_at),
  prior AS (
    SELECT e.ord, json_agg(json_build_array(m.episode_id, m.ref)) AS refs
    FROM unnest(array_fill(p_notifier, ARRAY[cardinality(p_ep_ords)]), p_ep_ords, p_ep_ids, p_ep_channels)
      AS e(notifier, ord, episode_id, channel)
    JOIN notify_messages m ON m.notifier = e.notifier AND m.episode_id = e.episode_id AND m.channel = e.channel
    GROUP BY e.ord)
  SELECT c.attempts, c.created_at, d.state, d.ref, p.refs
  FROM input i
  LEFT JOIN claimed c ON c.notification_key = i.notification_key AND c.channel = i.channel
  LEFT JOIN notify_deliveries d
    ON d.notifier = i.notifier AND d.notification_key = i.notification_key AND d.channel = i.channel
  LEFT JOIN prior p ON p.ord = i.ord
  ORDER BY i.ord;
END
$fn$;

-- Down Migration
DROP FUNCTION notify_log_batch(text, text[], text[], text[], text[], bigint[], text[], text[], text[], text[], text[],
  text[], text[], text[], bigint);
