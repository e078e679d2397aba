import { harmonySigners } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import { withTransaction } from '@tocsin/store';
import type { z } from 'zod';
import type { HarmonySignersConfig } from './config.ts';
import { type Derived, detect, type HostRow } from './detection.ts';
import type { AgentToken } from './tokens.ts';

export type ReportBody = z.output<typeof harmonySigners.reportRequest>;
/** Every harmony-signers event is about Harmony; shards are in the data. */
export const CHAIN_ID = 'harmony';

export type IntakeResult =
  | { status: 'accepted'; published: string[] }
  | { status: 'replay' }
  | { status: 'out_of_range'; reason: string };

const DEFS = {
  double_sign_risk: harmonySigners.doubleSignRisk,
  key_moved: harmonySigners.keyMoved,
  key_not_signing: harmonySigners.keyNotSigning,
  backup_mismatch: harmonySigners.backupMismatch,
} as const;

/** How far ahead of our clock an agent's clock may be. */
const MAX_FUTURE_MS = 60_000;

/**
 * Records a report (history and the host's latest state) and publishes it with what it implies, in one
 * transaction: the events are published (and acknowledged by JetStream) before the commit, so a report is either recorded and published or
 * neither (the agent retries it with the same nonce; a republished event has the same dedup key).
 */
export async function acceptReport(
  ctx: ServiceContext<HarmonySignersConfig>,
  token: AgentToken,
  body: ReportBody,
): Promise<IntakeResult> {
  const now = ctx.clock.now();
  const reportedAt = Date.parse(body.reported_at);
  if (reportedAt > now + MAX_FUTURE_MS)
    return { status: 'out_of_range', reason: 'reported_at: more than 60 s ahead of the service clock' };
  if (reportedAt < now - ctx.section.history_retention)
    return { status: 'out_of_range', reason: 'reported_at: older than harmony_signers.history_retention' };
  const node = body.node;
  const up = node.reachable ? node : null;
  return withTransaction(ctx.pool, async (c) => {
    const inserted = await c.query(
      `INSERT INTO harmony_reports (token_id, nonce, owner, hostname, validator_address, node_reachable, node_error,
         shard_id, blskeys, mode, is_backup, peerid, block_number, reported_at, received_at, interval_s, buffered)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
       ON CONFLICT (token_id, nonce) DO NOTHING RETURNING id`,
      [
        token.id,
        body.nonce,
        token.owner,
        body.hostname,
        body.validator_address,
        node.reachable,
        node.reachable ? null : node.error,
        up?.shard_id ?? null,
        up?.blskeys ?? [],
        up?.mode ?? null,
        up?.is_backup ?? null,
        up?.peerid ?? null,
        up?.block_number ?? null,
        new Date(reportedAt),
        new Date(now),
        body.interval_s,
        body.buffered,
      ],
    );
    if (!inserted.rowCount) return { status: 'replay' as const };

    const prev = (
      await c.query<HostRow>('SELECT * FROM harmony_hosts WHERE token_id = $1 AND hostname = $2 FOR UPDATE', [
        token.id,
        body.hostname,
      ])
    ).rows[0];
    // A buffered report older than the host's latest goes to the history only.
    const latest = !prev || reportedAt >= prev.reported_at.getTime();
    const host: HostRow = {
      token_id: token.id,
      hostname: body.hostname,
      owner: token.owner,
      validator_address: body.validator_address,
      node_reachable: node.reachable,
      shard_id: up?.shard_id ?? prev?.shard_id ?? null,
      // An unreachable node keeps its last known keys (they may still be loaded), but signs nothing we can see.
      blskeys: up?.blskeys ?? prev?.blskeys ?? [],
      mode: up?.mode ?? null,
      is_backup: up?.is_backup ?? prev?.is_backup ?? null,
      reported_at: new Date(reportedAt),
      received_at: new Date(now),
      interval_s: body.interval_s,
      last_nonce: body.nonce,
    };
    let derived: Derived[] = [];
    if (latest) {
      await c.query(
        `INSERT INTO harmony_hosts (token_id, hostname, owner, validator_address, node_reachable, shard_id, blskeys,
           mode, is_backup, reported_at, received_at, interval_s, last_nonce)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (token_id, hostname) DO UPDATE SET owner = EXCLUDED.owner,
           validator_address = EXCLUDED.validator_address, node_reachable = EXCLUDED.node_reachable,
           shard_id = EXCLUDED.shard_id, blskeys = EXCLUDED.blskeys, mode = EXCLUDED.mode,
           is_backup = EXCLUDED.is_backup, reported_at = EXCLUDED.reported_at, received_at = EXCLUDED.received_at,
           interval_s = EXCLUDED.interval_s, last_nonce = EXCLUDED.last_nonce`,
        [
          host.token_id,
          host.hostname,
          host.owner,
          host.validator_address,
          host.node_reachable,
          host.shard_id,
          host.blskeys,
          host.mode,
          host.is_backup,
          host.reported_at,
          host.received_at,
          host.interval_s,
          host.last_nonce,
        ],
      );
      derived = await detect(c, {
        host,
        previousKeys: prev?.blskeys ?? [],
        nonce: body.nonce,
        now: () => ctx.clock.now(),
        freshnessMs: ctx.section.freshness_window,
      });
    } else if (prev) {
      // The host was heard from (late): it is not silent.
      await c.query('UPDATE harmony_hosts SET received_at = $3 WHERE token_id = $1 AND hostname = $2', [
        token.id,
        body.hostname,
        new Date(now),
      ]);
    }

    const observed = new Date(reportedAt);
    const owners = [{ owner: token.owner }];
    const published: string[] = [];
    const hostKey = `${token.id}/${body.hostname}`;
    // Published together (each with its own dedup id); the commit waits for every acknowledgement.
    const sends: Promise<unknown>[] = [];
    sends.push(
      ctx.publisher.publish(harmonySigners.signerReport, {
        chain_id: CHAIN_ID,
        dedup_key: `${token.id}:${body.nonce}`,
        observed_at: observed,
        data: {
          token_id: token.id,
          owner: token.owner,
          owners,
          hostname: body.hostname,
          validator_address: body.validator_address,
          node_reachable: node.reachable,
          node_error: node.reachable ? null : node.error,
          shard_id: up?.shard_id ?? null,
          blskeys: up?.blskeys ?? [],
          mode: up?.mode ?? null,
          is_backup: up?.is_backup ?? null,
          peerid: up?.peerid ?? null,
          block_number: up?.block_number ?? null,
          reported_at: observed.toISOString(),
          received_at: new Date(now).toISOString(),
          interval_s: body.interval_s,
          buffered: body.buffered,
        },
      }),
    );
    published.push('signer_report');
    if (!node.reachable && latest) {
      sends.push(
        ctx.publisher.publish(harmonySigners.nodeUnreachable, {
          chain_id: CHAIN_ID,
          dedup_key: `${hostKey}:${body.nonce}`,
          observed_at: observed,
          data: {
            token_id: token.id,
            owner: token.owner,
            owners,
            hostname: body.hostname,
            validator_address: body.validator_address,
            reason: node.error,
            reported_at: observed.toISOString(),
          },
        }),
      );
      published.push('node_unreachable');
    }
    for (const d of derived) {
      sends.push(
        ctx.publisher.publish(DEFS[d.type] as typeof harmonySigners.doubleSignRisk, {
          chain_id: CHAIN_ID,
          dedup_key: d.dedupKey,
          observed_at: new Date(d.at),
          data: d.data as z.input<typeof harmonySigners.doubleSignRisk.data>,
        }),
      );
      published.push(d.type);
    }
    await Promise.all(sends);
    return { status: 'accepted' as const, published };
  });
}
