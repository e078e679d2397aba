import type { EventEnvelope } from '@tocsin/events';
import { type PoolClient, pruneInbox, sqlInt } from '@tocsin/store';
import { expireAcks, runLadders } from '../escalation/ladder.ts';
import { enqueueRepeats } from '../escalation/timers.ts';
import type { Received } from '../intake/receive.ts';
import { applyEffects } from '../lifecycle/episodeStore.ts';
import { evaluateEvent, factKey } from '../lifecycle/evaluate.ts';
import {
  forgetPresence,
  META_SQL,
  type Meta,
  PRESENCE_SQL,
  pruneStates,
  readMeta,
  readPresence,
  toMeta,
  toPresence,
  writePresence,
} from '../lifecycle/stateStore.ts';
import type { Instance, Plan, Presence } from '../lifecycle/types.ts';
import { claimStale, pruneOutbox } from '../outbox/outbox.ts';
import type { AlerterCore } from './core.ts';
import { batchPrelude } from './prelude.ts';

const INBOX_CONSUMER = 'alerter';
const DAY = 86_400_000;

/**
 * The alert pipeline of one replica: a batch of events is judged on the cached state (intake → judge), the
 * transitions it causes are committed with their notifications in the outbox (commit), and those are published
 * (relay). The timer stage (tick) does the same for what time alone changes.
 */
export class Pipeline {
  /** Presence last written per fingerprint (absence rules need it only every few seconds). */
  readonly #presenceWritten = new Map<string, { at: number; ended: boolean }>();
  /** Latest block height seen per chain (heartbeats, scans), for the dead-man push. */
  readonly heights = new Map<string, number>();
  #ticks = 0;
  /** The shared state's versions at the last timer check in the queue (see #nothingDue). */
  #checked: Meta | null = null;
  /** Since when this replica hears heartbeats: absence is judged only over that time (Decider.absence). */
  readonly #listeningSince: number;
  lastBatchError: { at: number; error: string } | null = null;
  lastBatchAt: number | null = null;

  constructor(private readonly core: AlerterCore) {
    this.#listeningSince = core.d.clock.now();
  }

  /**
   * The batch stage: applies a batch of events (each with the time it counts at, intake/receive.ts). Most batches
   * change nothing and cost one query; a batch that changes state takes the lock and commits its transitions,
   * their timeline and due notifications together.
   */
  async processEvents(events: readonly Received[]): Promise<void> {
    await (await this.stageEvents(events)).done;
  }

  /**
   * processEvents in two stages (pipelining, see AlerterCore.stageLocked): resolves once the batch's commit is sent,
   * so the next batch can be judged meanwhile; `done` settles when it is committed (then its messages may be acked).
   */
  stageEvents(events: readonly Received[]): Promise<{ done: Promise<void> }> {
    const core = this.core;
    let now = core.d.clock.now();
    const failed = (err: unknown) => {
      this.lastBatchError = { at: now, error: String(err) };
      throw err;
    };
    const staged = core.serialStaged(async () => {
      now = core.d.clock.now();
      // Judged first on the cache as it is (with the commit in flight, if any): a batch that changes state goes
      // straight to the lock, which re-reads the state version and judges again if it moved (or if the cache was
      // reset because that commit failed). A batch that changes nothing is confirmed against the current version
      // (one query, once the commit in flight ended), and judged again if the state or the subscriptions moved.
      let versionSeen = core.cache.version;
      let subsSeen = core.subsVersion;
      const resetsSeen = core.cache.resets;
      let instances = this.#evaluate(events);
      // The plan judged on the cache (null: count and notice rules, planned under the lock only).
      let dry: Plan | null = null;
      let changes = this.#changes(instances, now);
      if (!changes) {
        await core.committed();
        await core.refresh(core.d.pool, await readMeta(core.d.pool));
        if (
          core.cache.version !== versionSeen ||
          core.subsVersion !== subsSeen ||
          core.cache.resets !== resetsSeen
        ) {
          versionSeen = core.cache.version;
          subsSeen = core.subsVersion;
          instances = this.#evaluate(events, false);
          changes = this.#changes(instances, now);
        }
      }
      if (changes && changes !== true) dry = changes;
      if (instances.length === 0) return { done: Promise.resolve() };
      const presence = this.#presence(instances);
      const written = () => {
        for (const p of presence)
          this.#presenceWritten.set(p.fingerprint, { at: p.last_seen, ended: p.ended });
        this.lastBatchAt = now;
      };
      if (!changes) {
        await writePresence(core.d.pool, presence);
        written();
        return { done: Promise.resolve() };
      }
      // The plan judged on the cache holds if the lock opens the version after the judged one (and neither the
      // subscriptions moved nor the cache was reset).
      const holds = (meta: Meta) =>
        meta.version - 1 === versionSeen &&
        meta.subscriptions_version === subsSeen &&
        core.cache.resets === resetsSeen;
      // A burst of new alerts (or of recoveries): its writes and the flush's reads go with the lock, in one round trip.
      const writes = dry && !presence.length ? batchPrelude(dry.effects, now, core.d.rules.incidents) : null;
      const prelude = writes && { sql: writes.sql, json: writes.json, accept: holds };
      const { done } = await core.stageLocked(
        null,
        async (c, meta, read) => {
          if (read && dry && writes) {
            const f = writes.flush?.(read);
            const flush = f ? await core.planFlushFrom(c, now, f.read, f.fresh) : null;
            return { result: undefined, plan: dry, flush };
          }
          // The state (or the subscriptions) may have moved since the events were judged: judged again.
          // Otherwise the plan judged on the cache is the one (the same state, instances and time).
          if (!holds(meta)) {
            instances = this.#evaluate(events, false);
            dry = null;
          }
          instances = await this.#applyOnce(c, instances);
          const plan = dry ?? this.#decide(instances, now);
          const touched = await applyEffects(c, plan.effects, now);
          await writePresence(c, presence);
          return { result: undefined, plan, flush: await core.planFlush(c, now, touched) };
        },
        false,
        prelude ?? undefined,
      );
      return { done: done.then(written, failed) };
    });
    return staged.catch(failed);
  }

  #evaluate(events: readonly Received[], first = true): Instance[] {
    const out: Instance[] = [];
    const core = this.core;
    const opts = {
      params: core.params,
      subscriptions: core.subs,
      mayBeActive: (rule: string) => core.cache.hasOpen(rule),
      isOpen: (fingerprint: string) => core.cache.isOpen(fingerprint),
    };
    for (const { event, factAt } of events) {
      if (first) this.#observeHeights(event);
      for (const i of evaluateEvent(core.index, event, opts, factAt)) out.push(i);
    }
    return out;
  }

  #observeHeights(e: EventEnvelope): void {
    const data = e.data as Record<string, unknown>;
    if (e.source === 'system' && e.type === 'heartbeat' && data.heights && typeof data.heights === 'object') {
      for (const [chain, h] of Object.entries(data.heights as Record<string, unknown>))
        if (typeof h === 'number') this.heights.set(chain, Math.max(h, this.heights.get(chain) ?? 0));
    } else if (typeof data.height === 'number' && e.chain_id !== '-') {
      this.heights.set(e.chain_id, Math.max(data.height, this.heights.get(e.chain_id) ?? 0));
    }
  }

  /** Absence rules: who was heard from, written at most every few seconds per fingerprint. */
  #presence(instances: Instance[]): Presence[] {
    const out = new Map<string, Presence>();
    for (const i of instances) {
      if (i.rule.kind !== 'absence' || i.retract !== undefined) continue;
      const ended = !i.active;
      const last = this.#presenceWritten.get(i.fingerprint);
      const every = Math.min(5_000, i.rule.absence!.afterMs / 10);
      // A goodbye is always written, and so is the first sign of life after one.
      if (!ended && last !== undefined && !last.ended && i.factAt - last.at < every) continue;
      const prev = out.get(i.fingerprint);
      if (prev && prev.last_seen >= i.factAt) continue;
      out.set(i.fingerprint, {
        fingerprint: i.fingerprint,
        rule_id: i.rule.id,
        labels: i.labels,
        last_seen: i.factAt,
        last_event: i.event,
        ended,
      });
    }
    return [...out.values()];
  }

  /**
   * Whether applying these instances would change anything: the plan when it would, false when not, true for count
   * and notice rules (they always go to the lock, where each fact is applied once: see #applyOnce).
   */
  #changes(instances: Instance[], now: number): Plan | boolean {
    if (instances.length === 0) return false;
    if (instances.some((i) => i.rule.kind === 'count' || i.rule.kind === 'notice')) return true;
    const dry = this.#decide(instances, now);
    return dry.rows.size > 0 || dry.effects.length > 0 ? dry : false;
  }

  #decide(instances: Instance[], now: number): Plan {
    const d = this.core.decider(now);
    for (const i of instances) d.event(i);
    return d.plan();
  }

  /** count and notice rules act on each fact once: the same fact redelivered, or from another instance, is skipped. */
  async #applyOnce(c: PoolClient, instances: Instance[]): Promise<Instance[]> {
    const keyed = instances.filter((i) => i.rule.kind === 'count' || i.rule.kind === 'notice');
    if (!keyed.length) return instances;
    const keys = [...new Set(keyed.map(factKey))];
    const r = await c.query(
      `INSERT INTO tocsin_inbox (consumer, message_key) SELECT $1, unnest($2::text[])
       ON CONFLICT DO NOTHING RETURNING message_key`,
      [INBOX_CONSUMER, keys],
    );
    const fresh = new Set(r.rows.map((row) => row.message_key as string));
    return instances.filter((i) => {
      if (i.rule.kind !== 'count' && i.rule.kind !== 'notice') return true;
      const key = factKey(i);
      if (!fresh.has(key)) return false;
      fresh.delete(key);
      return true;
    });
  }

  /**
   * The timer stage, run every tick_interval by every replica (the lock makes them take turns): `for` elapsed,
   * absence, count windows, resolve_after, repeats, escalations, silences that ended, group flushes; then
   * notifications whose publisher died are published.
   */
  async tick(): Promise<void> {
    const core = this.core;
    if (!(await this.#nothingDue(core.d.clock.now())))
      await core.serial(async () => {
        const now = core.d.clock.now();
        if (!(await this.#timersDue(now))) return;
        await core.locked(null, async (c) => {
          const d = core.decider(now);
          d.timers(core.index, core.cache.activeRows());
          const forget = d.absence(core.index, await readPresence(c), core.params, this.#listeningSince);
          const plan = d.plan();
          await applyEffects(c, plan.effects, now);
          await forgetPresence(c, forget);
          await expireAcks(c, now);
          await enqueueRepeats(c, now, [...core.silences, ...core.maintenanceMuting(now)]);
          await runLadders(c, now);
          // Maintenance that ended: its summary goes out before what it held back and still matters.
          const outbox = await core.closeMaintenance(c, now);
          // Hourly and daily digests of alert subscriptions: each period once (alerter_digests).
          outbox.push(...(await core.decideDigests(c, now)));
          return { result: undefined, plan, outbox, flush: await core.planFlush(c, now) };
        });
        core.digestsDecided(now);
      });
    await this.relay();
    if (++this.#ticks % 600 === 1) await this.prune();
  }

  /**
   * Whether a tick at `now` would find anything due (read-only). Every timer is a deadline, so once something is due
   * it stays due until a tick handles it: the replay (replay/replay.ts) uses this to skip, over a long quiet stretch,
   * the ticks that would do nothing, and runs only those that would.
   */
  timersDueAt(now: number): Promise<boolean> {
    return this.core.serial(() => this.#timersDue(now));
  }

  /**
   * Whether a tick has anything to do, found without the lock: most ticks find nothing, and a tick that takes the
   * lock makes every batch of every replica wait for it.
   */
  async #timersDue(now: number): Promise<boolean> {
    const core = this.core;
    const { meta, presence, due } = await this.#readDue(now);
    await core.refresh(core.d.pool, meta);
    this.#checked = meta;
    return this.#dueOn(now, presence, due);
  }

  /**
   * Whether a tick at `now` surely has nothing to do, found outside the queue of this replica's operations: a check
   * in the queue waits for the commit in flight and holds up the batches behind it (a round trip and a pass over the
   * active alerts), which at a steady flow of events was a gap in the pipelined batches every tick. It is judged on
   * the cache as it is (with the commit in flight, if any) when nothing moved the shared state since the last check
   * in the queue (another replica's commit, the silences, the subscriptions); otherwise it is not known here (false),
   * and the tick checks in the queue.
   */
  async #nothingDue(now: number): Promise<boolean> {
    const core = this.core;
    const { meta, presence, due } = await this.#readDue(now);
    const seen = this.#checked;
    if (
      !seen ||
      meta.version > core.cache.version ||
      meta.silences_version !== seen.silences_version ||
      meta.subscriptions_version !== seen.subscriptions_version ||
      meta.subscriptions_version !== core.subsVersion
    )
      return false;
    return !this.#dueOn(now, presence, due);
  }

  /** The meta row, the presence and whether anything else is due, in one round trip. */
  async #readDue(now: number): Promise<{ meta: Meta; presence: Presence[]; due: boolean }> {
    // A simple query of three statements; `now` is an integer. Each timer as the earliest time of its partial index
    // (one entry read): as `EXISTS (… WHERE next_repeat_at <= now …)`, statistics that lag a burst made the planner
    // expect a match at once and scan the episodes whole (5–50 ms a tick in the alert-pipeline bench).
    const at = `to_timestamp(${sqlInt(now, 'clock value')} / 1000.0)`;
    const [meta, presence, due] = (await this.core.d.pool.query(
      `${META_SQL};
       ${PRESENCE_SQL};
       SELECT EXISTS (SELECT 1 FROM alerter_pending)
           OR coalesce((SELECT min(next_repeat_at) FROM alerter_episodes WHERE state = 'firing') <= ${at}, false)
           OR coalesce((SELECT min(escalate_at) FROM alerter_episodes WHERE state = 'firing') <= ${at}, false)
           OR coalesce((SELECT min(ack_until) FROM alerter_episodes WHERE state <> 'resolved') <= ${at}, false) AS due`,
    )) as unknown as { rows: Record<string, unknown>[] }[];
    return {
      meta: toMeta(meta!.rows[0]!),
      presence: presence!.rows.map(toPresence),
      due: due!.rows[0]!.due as boolean,
    };
  }

  /** Whether the timers judged on the cache, or what the due query found, give a tick something to do. */
  #dueOn(now: number, presence: Presence[], due: boolean): boolean {
    const core = this.core;
    const d = core.decider(now);
    d.timers(core.index, core.cache.activeRows());
    const forget = d.absence(core.index, presence, core.params, this.#listeningSince);
    return (
      d.effects.length > 0 || forget.length > 0 || core.maintenanceDue(now) || core.digestsDue(now) || due
    );
  }

  /** Publishes notifications left unpublished by a replica that died (or while NATS was unreachable). */
  async relay(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await claimStale(this.core.d.pool, this.core.d.config.outbox_lease);
      if (!rows.length) return total;
      total += await this.core.publishRows(rows);
      if (rows.length < 500) return total;
    }
  }

  async prune(): Promise<void> {
    await pruneOutbox(this.core.d.pool, DAY);
    await pruneInbox(this.core.d.pool, 8 * DAY);
    await this.#pruneStates();
  }

  /** The state of alerts ok for `state_retention`, deleted (pruneStates), and forgotten by the cache. */
  async #pruneStates(): Promise<void> {
    const core = this.core;
    const retention = core.d.config.state_retention;
    if (retention <= 0) return;
    // A discrete value's rows hold the baseline its next change is told against, however long it was not heard of.
    const keep = core.d.rules.rules
      .filter((r) => r.kind === 'state_change' && r.bands.length === 0)
      .map((r) => r.id);
    await core.serial(async () => {
      const pruned = await core.locked(null, async (c) => ({
        result: await pruneStates(c, core.d.clock.now() - retention, keep),
      }));
      if (pruned) core.cache.forget(pruned.fingerprints, pruned.pruned);
    });
  }
}
