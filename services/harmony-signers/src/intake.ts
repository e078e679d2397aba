import { harmonySigners } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import { Counter } from 'prom-client';
import type { z } from 'zod';
import { Batcher } from './batcher.ts';
import type { HarmonySignersConfig } from './config.ts';
import { type Derived, detect, type HostRow, hostId, type Snapshot } from './detection.ts';
import { type ReportRow, recordAndLock, writeBackAndCommit } from './store.ts';
import type { AgentToken } from './tokens.ts';

export type ReportBody = z.output<typeof harmonySigners.reportRequest>;
/** Every harmony-signers event is about Harmony; shards are in the data. */
export const CHAIN_ID = 'harmony';

export type IntakeResult =
  | { status: 'accepted'; published: string[] }
  | { status: 'replay' }
  | { status: 'out_of_range'; reason: string };

interface Submission {
  token: AgentToken;
  body: ReportBody;
}

const DEFS = {
  double_sign_risk: harmonySigners.doubleSignRisk,
  key_moved: harmonySigners.keyMoved,
  key_not_signing: harmonySigners.keyNotSigning,
  backup_mismatch: harmonySigners.backupMismatch,
} as const;

/**
 * A PostgreSQL error about the statement (a deadlock broken, a value refused) may be one report's doing: its batch's
 * reports are tried alone. Not a lost connection (class 08), a server shutting down (57) or NATS not acknowledging.
 */
function isStatementError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57|53)/.test(code);
}

/** How far ahead of our clock an agent's clock may be. */
const MAX_FUTURE_MS = 60_000;

/**
 * Report intake: each report is checked against the clock, then handed to a batcher that records and publishes
 * the reports arriving together in one transaction (`intake.batch_max` reports or `intake.batch_wait` after the
 * first, `intake.parallel` transactions at once). The answer waits for the commit.
 */
export function reportIntake(ctx: ServiceContext<HarmonySignersConfig>) {
  const cfg = ctx.section.intake;
  const counters = intakeCounters(ctx);
  const batcher = new Batcher<Submission, IntakeResult>(
    { max: cfg.batch_max, waitMs: cfg.batch_wait, parallel: cfg.parallel, retryAlone: isStatementError },
    (items) => {
      counters.batches.inc();
      counters.reports.inc(items.length);
      return acceptReports(ctx, items, counters.roundTrips);
    },
  );
  return {
    accept(token: AgentToken, body: ReportBody): Promise<IntakeResult> {
      const now = ctx.clock.now();
      const reportedAt = Date.parse(body.reported_at);
      if (reportedAt > now + MAX_FUTURE_MS)
        return Promise.resolve({
          status: 'out_of_range',
          reason: 'reported_at: more than 60 s ahead of the service clock',
        });
      if (reportedAt < now - ctx.section.history_retention)
        return Promise.resolve({
          status: 'out_of_range',
          reason: 'reported_at: older than harmony_signers.history_retention',
        });
      return batcher.submit({ token, body });
    },
    drain: () => batcher.drain(),
  };
}

/** What a batch costs, on /metrics: batches, the reports in them and the PostgreSQL round trips they took. */
function intakeCounters(ctx: ServiceContext<HarmonySignersConfig>) {
  const registers = [ctx.metrics.registry];
  return {
    batches: new Counter({
      name: 'tocsin_harmony_intake_batches_total',
      help: 'Report batches handled (one transaction each, tried again report by report if it failed)',
      registers,
    }),
    reports: new Counter({
      name: 'tocsin_harmony_intake_batched_reports_total',
      help: 'Reports handed to a batch',
      registers,
    }),
    roundTrips: new Counter({
      name: 'tocsin_harmony_intake_pg_round_trips_total',
      help: 'PostgreSQL round trips of report batches',
      registers,
    }),
  };
}

/** `reportedAt`: the body's reported_at; `receivedIso`: the batch's arrival, one ISO string for all its reports. */
function historyRow({ token, body }: Submission, reportedAt: Date, receivedIso: string): ReportRow {
  const node = body.node;
  const up = node.reachable ? node : null;
  return {
    token_id: token.id,
    nonce: body.nonce,
    owner: token.owner,
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
    reported_at: reportedAt.toISOString(),
    received_at: receivedIso,
    interval_s: body.interval_s,
    buffered: body.buffered,
  };
}

/**
 * Records a batch of reports (history and each host's latest state) and publishes them with what they imply, in one
 * transaction: the events are published (and acknowledged by JetStream) before the commit, so every report of the
 * batch is recorded and published or none is (the agents retry with the same nonces; a republished event has the
 * same dedup key). Reports are decided one after the other in arrival order, on a snapshot of the rows they touch,
 * locked until commit: the outcome is the one a transaction per report would have had.
 */
export async function acceptReports(
  ctx: ServiceContext<HarmonySignersConfig>,
  items: Submission[],
  roundTrips?: { inc(): void },
): Promise<IntakeResult[]> {
  const now = ctx.clock.now();
  // Each time is turned into its ISO string once, for the history rows and the signer_report events alike.
  const receivedAt = new Date(now);
  const receivedIso = receivedAt.toISOString();
  const reportedAt = items.map((s) => new Date(Date.parse(s.body.reported_at)));
  const rows = items.map((s, i) => historyRow(s, reportedAt[i]!, receivedIso));
  // The first of two submissions with one nonce in a batch is the report; the second is its replay.
  const seen = new Set<string>();
  const fresh = rows.map((r) => {
    const id = `${r.token_id} ${r.nonce}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const c = await ctx.pool.connect();
  let failed: Error | undefined;
  try {
    roundTrips?.inc();
    const {
      inserted,
      hosts: locked,
      keys,
      holders,
    } = await recordAndLock(
      c,
      rows.filter((_, i) => fresh[i]),
      // Before the locks: a superset of the hosts fresh at `at` below (detection applies the exact window).
      new Date(now - ctx.section.freshness_window),
    );
    const accepted = rows.map((r, i) => fresh[i]! && inserted.has(`${r.token_id} ${r.nonce}`));
    if (!accepted.some(Boolean)) {
      roundTrips?.inc();
      await writeBackAndCommit(c, [], keys, new Set());
      return items.map(() => ({ status: 'replay' as const }));
    }
    // The reports themselves are published now, their acknowledgements arriving while detection reads and decides;
    // what they imply follows. Every publish is awaited before the commit (and a failed one is handled there).
    const sends: Promise<unknown>[] = [];
    const track = (p: Promise<unknown>) => {
      p.catch(() => undefined);
      sends.push(p);
    };
    items.forEach((s, i) => {
      if (accepted[i]) publishSignerReport(ctx, s, rows[i]!, reportedAt[i]!, track);
    });
    const snap: Snapshot = { hosts: new Map(), keys, dirtyKeys: new Set() };
    // Decided after the keys' locks, so of two reports about one key the later decision is also the later fact.
    const at = ctx.clock.now();
    const freshnessMs = ctx.section.freshness_window;
    for (const h of holders) snap.hosts.set(hostId(h), h);
    for (const h of locked) snap.hosts.set(hostId(h), h);

    const changed = new Set<string>();
    const decided = new Map<number, { derived: Derived[]; latest: boolean }>();
    rows.forEach((r, i) => {
      if (!accepted[i]) return;
      const id = hostId(r);
      const prev = snap.hosts.get(id);
      changed.add(id);
      // A buffered report older than the host's latest goes to the history only; the host was heard from (late).
      if (prev && reportedAt[i]!.getTime() < prev.reported_at.getTime()) {
        snap.hosts.set(id, { ...prev, received_at: receivedAt });
        decided.set(i, { derived: [], latest: false });
        return;
      }
      const host: HostRow = {
        token_id: r.token_id,
        hostname: r.hostname,
        owner: r.owner,
        validator_address: r.validator_address,
        node_reachable: r.node_reachable,
        shard_id: r.node_reachable ? r.shard_id : (prev?.shard_id ?? null),
        // An unreachable node keeps its last known keys (they may still be loaded), but signs nothing we can see.
        blskeys: r.node_reachable ? r.blskeys : (prev?.blskeys ?? []),
        mode: r.mode,
        is_backup: r.node_reachable ? r.is_backup : (prev?.is_backup ?? null),
        reported_at: reportedAt[i]!,
        received_at: receivedAt,
        interval_s: r.interval_s,
        last_nonce: r.nonce,
      };
      snap.hosts.set(id, host);
      const derived = detect(snap, {
        host,
        previousKeys: prev?.blskeys ?? [],
        nonce: r.nonce,
        at,
        freshnessMs,
      });
      decided.set(i, { derived, latest: true });
    });
    // Published together (each with its own dedup id), in arrival order; the commit waits for every acknowledgement.
    const results: IntakeResult[] = items.map((s, i) => {
      const d = decided.get(i);
      if (!d) return { status: 'replay' };
      const published = publishImplied(ctx, s, rows[i]!, reportedAt[i]!, d.latest, d.derived, track);
      return { status: 'accepted', published: ['signer_report', ...published] };
    });
    await Promise.all(sends);
    roundTrips?.inc();
    await writeBackAndCommit(
      c,
      [...changed].map((id) => snap.hosts.get(id)!),
      snap.keys,
      snap.dirtyKeys,
    );
    return results;
  } catch (err) {
    failed = err as Error;
    roundTrips?.inc();
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    // A client whose transaction failed may have lost its connection: the pool discards it rather than reuse it.
    c.release(failed);
  }
}

/** Starts the publish of one report as `signer_report`. */
function publishSignerReport(
  ctx: ServiceContext<HarmonySignersConfig>,
  { token, body }: Submission,
  row: ReportRow,
  observed: Date,
  track: (p: Promise<unknown>) => void,
): void {
  track(
    ctx.publisher.publish(harmonySigners.signerReport, {
      chain_id: CHAIN_ID,
      dedup_key: `${token.id}:${body.nonce}`,
      observed_at: observed,
      data: {
        token_id: token.id,
        owner: token.owner,
        owners: [{ owner: token.owner }],
        hostname: body.hostname,
        validator_address: body.validator_address,
        node_reachable: row.node_reachable,
        node_error: row.node_error,
        shard_id: row.shard_id,
        blskeys: row.blskeys,
        mode: row.mode,
        is_backup: row.is_backup,
        peerid: row.peerid,
        block_number: row.block_number,
        reported_at: row.reported_at,
        received_at: row.received_at,
        interval_s: body.interval_s,
        buffered: body.buffered,
      },
    }),
  );
}

/** Starts the publishes of what one report implies; returns their types. */
function publishImplied(
  ctx: ServiceContext<HarmonySignersConfig>,
  { token, body }: Submission,
  row: ReportRow,
  observed: Date,
  latest: boolean,
  derived: Derived[],
  track: (p: Promise<unknown>) => void,
): string[] {
  const node = body.node;
  const owners = [{ owner: token.owner }];
  const published: string[] = [];
  if (!node.reachable && latest) {
    track(
      ctx.publisher.publish(harmonySigners.nodeUnreachable, {
        chain_id: CHAIN_ID,
        dedup_key: `${token.id}/${body.hostname}:${body.nonce}`,
        observed_at: observed,
        data: {
          token_id: token.id,
          owner: token.owner,
          owners,
          hostname: body.hostname,
          validator_address: body.validator_address,
          reason: node.error,
          reported_at: row.reported_at,
        },
      }),
    );
    published.push('node_unreachable');
  }
  for (const d of derived) {
    track(
      ctx.publisher.publish(DEFS[d.type] as typeof harmonySigners.doubleSignRisk, {
        chain_id: CHAIN_ID,
        dedup_key: d.dedupKey,
        observed_at: new Date(d.at),
        data: d.data as z.input<typeof harmonySigners.doubleSignRisk.data>,
      }),
    );
    published.push(d.type);
  }
  return published;
}
