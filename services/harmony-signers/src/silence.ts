import { harmonySigners } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { HarmonySignersConfig } from './config.ts';
import type { HostRow } from './detection.ts';
import { CHAIN_ID } from './intake.ts';

/** Hosts silent longer than this are forgotten (no more agent_silent). */
const FORGET_AFTER_MS = 7 * 86_400_000;

/**
 * Publishes agent_silent for every host whose agent has not been heard from for `silent_intervals` of its own
 * interval. Any replica may run it: the dedup key is the host, its last report and how many intervals it has been
 * silent, so two replicas (or two sweeps) publish each fact once.
 */
export async function sweepSilentAgents(ctx: ServiceContext<HarmonySignersConfig>): Promise<number> {
  const now = ctx.clock.now();
  const n = ctx.section.silent_intervals;
  const { rows } = await ctx.pool.query<HostRow>(
    `SELECT * FROM harmony_hosts
     WHERE received_at < $1::timestamptz - make_interval(secs => interval_s * $2) AND received_at > $3`,
    [new Date(now), n, new Date(now - FORGET_AFTER_MS)],
  );
  for (const h of rows) {
    const silentMs = now - h.received_at.getTime();
    const intervals = Math.floor(silentMs / (h.interval_s * 1000));
    await ctx.publisher.publish(harmonySigners.agentSilent, {
      chain_id: CHAIN_ID,
      dedup_key: `${h.token_id}/${h.hostname}:${h.last_nonce}:${intervals}`,
      observed_at: new Date(now),
      data: {
        token_id: h.token_id,
        owner: h.owner,
        owners: [{ owner: h.owner }],
        hostname: h.hostname,
        validator_address: h.validator_address,
        last_report_at: h.reported_at.toISOString(),
        silent_s: Math.round(silentMs / 1000),
        interval_s: h.interval_s,
      },
    });
  }
  return rows.length;
}

/**
 * Deletes reports older than `history_retention` (reports that old are refused, so their nonces need not be kept).
 * Any replica may run it; deletes are idempotent. In chunks, so one sweep never holds a long transaction.
 */
export async function pruneHistory(ctx: ServiceContext<HarmonySignersConfig>): Promise<number> {
  const before = new Date(ctx.clock.now() - ctx.section.history_retention);
  const { rowCount } = await ctx.pool.query(
    `DELETE FROM harmony_reports WHERE id IN (
       SELECT id FROM harmony_reports WHERE reported_at < $1 ORDER BY id LIMIT 10000)`,
    [before],
  );
  return rowCount ?? 0;
}
