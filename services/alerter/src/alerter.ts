import type { Publisher } from '@tocsin/bus';
import { RpcError } from '@tocsin/bus';
import type { Alert, EventEnvelope, Matcher, Notification } from '@tocsin/events';
import type { Clock } from '@tocsin/runtime';
import { type Pool, type PoolClient, pruneInbox } from '@tocsin/store';
import type { AlerterConfig } from './config.ts';
import { enqueueEscalations, enqueueRepeats } from './escalation/timers.ts';
import { type FlushOptions, type FlushWrite, flushGroups, planGroupFlush } from './grouping/flush.ts';
import {
  type AlertQuery,
  type EpisodeRow,
  latestEpisode,
  listEpisodes,
  readEpisode,
  readTimeline,
  type TimelineItem,
  toAlert,
} from './history/episodes.ts';
import type { Received } from './intake/receive.ts';
import { Decider } from './lifecycle/decide.ts';
import { applyEffects, insertPending, insertTimeline } from './lifecycle/episodeStore.ts';
import { evaluateEvent, factKey, RuleIndex } from './lifecycle/evaluate.ts';
import {
  beginLocked,
  forgetPresence,
  META_SQL,
  type Meta,
  PRESENCE_SQL,
  readMeta,
  readPresence,
  StateCache,
  toMeta,
  toPresence,
  writePresence,
  writeStatesAndCommit,
} from './lifecycle/stateStore.ts';
import type { Instance, Plan, Presence } from './lifecycle/types.ts';
import {
  claimStale,
  OutboxLeases,
  type OutboxRow,
  outboxRows,
  pruneOutbox,
  publishOutbox,
} from './outbox/outbox.ts';
import type { RuleSet } from './rules/loadRules.ts';
import { type ActiveSilence, matcherProblems, matchesAll, silencedBy } from './silences/match.ts';
import {
  endSilence,
  insertSilence,
  listSilences,
  readActiveSilences,
  readSilences,
  type Silence,
} from './silences/silenceStore.ts';
import { type Subscription, SubscriptionIndex } from './subscriptions/subscriptionIndex.ts';
import {
  deleteSubscriptions,
  readSubscriptions,
  upsertSubscription,
} from './subscriptions/subscriptionStore.ts';

export interface AlerterLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AlerterDeps {
  pool: Pool;
  publisher: Publisher;
  clock: Clock;
  log: AlerterLog;
  rules: RuleSet;
  config: AlerterConfig;
  /** Called for each notification published (metrics, tests). */
  onNotification?(n: Notification): void;
  onTransitions?(kinds: string[]): void;
}

const INBOX_CONSUMER = 'alerter';

/** What a locked operation returns: its result, the state it decided, and its notifications (written, or planned). */
interface LockedOutcome<T> {
  result: T;
  plan?: Plan;
  /** Notifications already written to the outbox in the transaction. */
  outbox?: OutboxRow[];
  /** A flush whose final write goes with the state write and COMMIT, in one round trip. */
  flush?: FlushWrite | null;
}
const DAY = 86_400_000;

/**
 * The alert pipeline of one replica. Every change of shared state happens in a transaction holding the alerter
 * lock (see beginLocked), so replicas never interleave decisions; within a replica, operations run one at a time.
 */
export class Alerter {
  readonly index: RuleIndex;
  readonly cache = new StateCache();
  #subs = new SubscriptionIndex();
  #subsVersion = -1;
  /** Silences not yet over when last read, by silences_version. */
  #silences: ActiveSilence[] = [];
  #silencesVersion = -1;
  #queue: Promise<unknown> = Promise.resolve();
  /** The notifications being published, in commit order (see #publish). */
  #publishing: Promise<void> = Promise.resolve();
  /** Presence last written per fingerprint (absence rules need it only every few seconds). */
  readonly #presenceWritten = new Map<string, { at: number; ended: boolean }>();
  /** Latest block height seen per chain (heartbeats, scans), for the dead-man push. */
  readonly heights = new Map<string, number>();
  #ticks = 0;
  /** Since when this replica hears heartbeats: absence is judged only over that time (Decider.absence). */
  readonly #listeningSince: number;
  /** The leases of the notifications this replica is publishing (renewed until they are marked). */
  readonly #leases: OutboxLeases;
  lastBatchError: { at: number; error: string } | null = null;
  lastBatchAt: number | null = null;

  constructor(private readonly d: AlerterDeps) {
    this.index = new RuleIndex(d.rules.rules);
    this.#listeningSince = d.clock.now();
    this.#leases = new OutboxLeases(d.pool, d.config.outbox_lease, d.log);
  }

  now(): number {
    return this.d.clock.now();
  }

  get params(): Record<string, unknown> {
    return this.d.rules.params;
  }

  /** Runs operations of this replica one after another (each is one transaction or a read). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #refresh(q: Pool | PoolClient, meta: Meta): Promise<void> {
    await this.cache.refresh(q, meta);
    if (meta.subscriptions_version !== this.#subsVersion) {
      this.#subs = new SubscriptionIndex(await readSubscriptions(q));
      this.#subsVersion = meta.subscriptions_version;
    }
    if (meta.silences_version !== this.#silencesVersion) {
      this.#silences = await readSilences(q, this.d.clock.now());
      this.#silencesVersion = meta.silences_version;
    }
  }

  /**
   * Locks, brings the cache up to date, runs fn, commits; then updates the cache and publishes the outbox. A batch
   * (`awaitPublish` false) does not wait for its notifications to be acknowledged by the stream: the next batch
   * starts while they are in flight (they are committed in the outbox, and published in commit order).
   */
  async #locked<T>(
    bump: 'silences' | 'subscriptions' | null,
    fn: (c: PoolClient, meta: Meta) => Promise<LockedOutcome<T>>,
    awaitPublish = true,
  ): Promise<T> {
    let version = 0;
    const c = await this.d.pool.connect();
    let failed: Error | undefined;
    let out: Awaited<ReturnType<typeof fn>>;
    try {
      const meta = await beginLocked(c, bump);
      await this.#refresh(c, { ...meta, version: meta.version - 1 });
      version = meta.version;
      out = await fn(c, meta);
      const written = await writeStatesAndCommit(
        c,
        out.plan?.rows.values() ?? [],
        meta.version,
        out.flush?.sql,
      );
      if (out.flush) out = { ...out, outbox: outboxRows(written, out.flush.list) };
    } catch (err) {
      failed = err as Error;
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // After a failure the connection may be gone: the pool discards the client rather than reuse it.
      c.release(failed);
    }
    this.cache.commit(out.plan?.rows.values() ?? [], version);
    // The subscriptions were read before this transaction changed them.
    if (bump === 'subscriptions') this.#subsVersion = -1;
    if (bump === 'silences') this.#silencesVersion = -1;
    if (out.plan) this.d.onTransitions?.(out.plan.effects.map((e) => e.kind));
    if (out.outbox?.length) {
      const sent = this.#publish(out.outbox);
      if (awaitPublish) await sent;
    }
    return out.result;
  }

  /**
   * Publishes a commit's notifications. Called in commit order, and the publishes of one call are sent before it
   * returns, so the stream stores them in that order even while earlier ones await their acknowledgements.
   */
  #publish(rows: OutboxRow[]): Promise<number> {
    const run = publishOutbox(
      this.d.pool,
      this.d.publisher,
      rows,
      this.d.log,
      this.#leases,
      this.d.onNotification,
    );
    const settled = run.then(
      () => undefined,
      (err) =>
        this.d.log.warn({ err: String(err) }, 'notification publish failed; the outbox relay will retry'),
    );
    this.#publishing = Promise.all([this.#publishing, settled]).then(() => undefined);
    return run;
  }

  /** Resolves once no operation is queued or running and every committed notification has been published. */
  async settled(): Promise<void> {
    for (;;) {
      const queue = this.#queue;
      const publishing = this.#publishing;
      await queue;
      await publishing;
      if (queue === this.#queue && publishing === this.#publishing) return;
    }
  }

  /** Resolves once every notification committed so far has been published (or left to the relay). */
  published(): Promise<void> {
    return this.#publishing;
  }

  /** Flushes due groups now; `freshSilences` when this transaction changed them. */
  #flush(
    c: PoolClient,
    now: number,
    groupKeys?: Iterable<string>,
    freshSilences = false,
  ): Promise<OutboxRow[]> {
    return flushGroups(c, this.#flushOptions(now, groupKeys, freshSilences));
  }

  /** Plans the flush of due groups; its final write goes with the commit (see #locked). */
  #planFlush(
    c: PoolClient,
    now: number,
    groupKeys?: Iterable<string>,
    freshSilences = false,
  ): Promise<FlushWrite | null> {
    return planGroupFlush(c, this.#flushOptions(now, groupKeys, freshSilences));
  }

  #flushOptions(now: number, groupKeys: Iterable<string> | undefined, freshSilences: boolean): FlushOptions {
    return {
      now,
      groupKeys,
      silences: freshSilences ? undefined : this.#silences,
      priorityWaitMs: this.d.config.defaults.priority_wait,
      outboxLeaseMs: this.d.config.outbox_lease,
    };
  }

  /** Loads the shared state (start-up). */
  async init(): Promise<void> {
    await this.#serial(async () => this.#refresh(this.d.pool, await readMeta(this.d.pool)));
  }

  #evaluate(events: readonly Received[], first = true): Instance[] {
    const out: Instance[] = [];
    const opts = {
      params: this.params,
      subscriptions: this.#subs,
      mayBeActive: (rule: string) => this.cache.hasOpen(rule),
    };
    for (const { event, factAt } of events) {
      if (first) this.#observeHeights(event);
      for (const i of evaluateEvent(this.index, event, opts, factAt)) out.push(i);
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
      if (i.rule.kind !== 'absence') continue;
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

  /** Whether applying these instances would change anything (count and notice rules always go to the lock). */
  #changes(instances: Instance[], now: number): boolean {
    if (instances.length === 0) return false;
    if (instances.some((i) => i.rule.kind === 'count' || i.rule.kind === 'notice')) return true;
    const dry = this.#decide(instances, now);
    return dry.rows.size > 0 || dry.effects.length > 0;
  }

  #decide(instances: Instance[], now: number): Plan {
    const d = new Decider({ now, get: (fp) => this.cache.get(fp), subscriptions: this.#subs });
    for (const i of instances) d.event(i);
    return d.plan();
  }

  /**
   * The batch stage: applies a batch of events. Most batches change nothing and cost one query; a batch that
   * changes state takes the lock and commits its transitions, their timeline and due notifications together.
   * Each event comes with the time it counts at (intake/receive.ts).
   */
  processEvents(events: readonly Received[]): Promise<void> {
    return this.#serial(async () => {
      const now = this.d.clock.now();
      try {
        // Evaluated first on the cache as it is: a batch that changes state goes straight to the lock, which re-reads
        // the state version and re-evaluates if it moved. A batch that changes nothing is confirmed against the
        // current version (one query), and evaluated again if the state or the subscriptions moved.
        let versionSeen = this.cache.version;
        let subsSeen = this.#subsVersion;
        let instances = this.#evaluate(events);
        let changes = this.#changes(instances, now);
        if (!changes) {
          await this.#refresh(this.d.pool, await readMeta(this.d.pool));
          if (this.cache.version !== versionSeen || this.#subsVersion !== subsSeen) {
            versionSeen = this.cache.version;
            subsSeen = this.#subsVersion;
            instances = this.#evaluate(events, false);
            changes = this.#changes(instances, now);
          }
        }
        if (instances.length === 0) return;
        const presence = this.#presence(instances);
        if (!changes) {
          await writePresence(this.d.pool, presence);
        } else {
          await this.#locked(
            null,
            async (c, meta) => {
              // The state (or the subscriptions) may have moved since the events were evaluated.
              if (meta.version - 1 !== versionSeen || meta.subscriptions_version !== subsSeen)
                instances = this.#evaluate(events, false);
              instances = await this.#applyOnce(c, instances);
              const plan = this.#decide(instances, now);
              const touched = await applyEffects(c, plan.effects, now);
              await writePresence(c, presence);
              return { result: undefined, plan, flush: await this.#planFlush(c, now, touched) };
            },
            false,
          );
        }
        for (const p of presence)
          this.#presenceWritten.set(p.fingerprint, { at: p.last_seen, ended: p.ended });
        this.lastBatchAt = now;
      } catch (err) {
        this.lastBatchError = { at: now, error: String(err) };
        throw err;
      }
    });
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
    await this.#serial(async () => {
      const now = this.d.clock.now();
      if (!(await this.#timersDue(now))) return;
      await this.#locked(null, async (c) => {
        const d = new Decider({ now, get: (fp) => this.cache.get(fp), subscriptions: this.#subs });
        d.timers(this.index, this.cache.activeRows());
        const forget = d.absence(this.index, await readPresence(c), this.params, this.#listeningSince);
        const plan = d.plan();
        await applyEffects(c, plan.effects, now);
        await forgetPresence(c, forget);
        await enqueueRepeats(c, now, this.#silences);
        await enqueueEscalations(c, now);
        return { result: undefined, plan, flush: await this.#planFlush(c, now) };
      });
    });
    await this.relay();
    if (++this.#ticks % 600 === 1) await this.prune();
  }

  /**
   * Whether a tick has anything to do, found without the lock: most ticks find nothing, and a tick that takes the
   * lock makes every batch of every replica wait for it.
   */
  async #timersDue(now: number): Promise<boolean> {
    // One round trip: the meta row, the presence and whether anything else is due (a simple query of three
    // statements; `now` is an integer).
    if (!Number.isSafeInteger(now)) throw new Error(`bad clock value ${now}`);
    const at = `to_timestamp(${now} / 1000.0)`;
    const [meta, presence, due] = (await this.d.pool.query(
      `${META_SQL};
       ${PRESENCE_SQL};
       SELECT EXISTS (SELECT 1 FROM alerter_pending)
           OR EXISTS (SELECT 1 FROM alerter_episodes WHERE next_repeat_at <= ${at} AND state = 'firing')
           OR EXISTS (SELECT 1 FROM alerter_episodes WHERE escalate_at <= ${at} AND state = 'firing') AS due`,
    )) as unknown as { rows: Record<string, unknown>[] }[];
    await this.#refresh(this.d.pool, toMeta(meta!.rows[0]!));
    const d = new Decider({ now, get: (fp) => this.cache.get(fp), subscriptions: this.#subs });
    d.timers(this.index, this.cache.activeRows());
    const forget = d.absence(this.index, presence!.rows.map(toPresence), this.params, this.#listeningSince);
    if (d.effects.length || forget.length) return true;
    return due!.rows[0]!.due as boolean;
  }

  /** Publishes notifications left unpublished by a replica that died (or while NATS was unreachable). */
  async relay(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await claimStale(this.d.pool, this.d.config.outbox_lease);
      if (!rows.length) return total;
      total += await publishOutbox(
        this.d.pool,
        this.d.publisher,
        rows,
        this.d.log,
        this.#leases,
        this.d.onNotification,
      );
      if (rows.length < 500) return total;
    }
  }

  async prune(): Promise<void> {
    await pruneOutbox(this.d.pool, DAY);
    await pruneInbox(this.d.pool, 8 * DAY);
  }

  // ---- commands (RPC and HTTP) ----

  async ack(req: { by: string; fingerprint?: string; episode_id?: string; note?: string }): Promise<Alert> {
    return this.#serial(() =>
      this.#locked(null, async (c) => {
        const now = this.d.clock.now();
        const ep = req.episode_id
          ? await readEpisode(c, req.episode_id)
          : await latestEpisode(c, req.fingerprint!);
        if (!ep) throw new RpcError('not_found', `no alert ${req.episode_id ?? req.fingerprint}`);
        if (ep.mode === 'notice') throw new RpcError('bad_request', 'a notice cannot be acknowledged');
        if (ep.acked_by) return { result: toAlert(ep, []) };
        if (ep.state === 'resolved')
          throw new RpcError('bad_request', `alert ${ep.episode_id} is already resolved`);
        await c.query(
          `UPDATE alerter_episodes SET acked_by = $2, acked_at = $3, ack_note = $4, escalate_at = NULL,
             next_repeat_at = NULL WHERE episode_id = $1`,
          [ep.episode_id, req.by, new Date(now), req.note ?? null],
        );
        await insertTimeline(c, [
          {
            episode_id: ep.episode_id,
            at: now,
            kind: 'acknowledged',
            detail: { by: req.by, note: req.note ?? null },
          },
        ]);
        // The notifiers show who acknowledged only on messages they sent.
        if (ep.notified_at && !ep.suppressed_by)
          await insertPending(c, [
            {
              group_key: ep.group_key,
              episode_id: ep.episode_id,
              transition: 'acknowledged',
              created_at: now,
            },
          ]);
        const outbox = await this.#flush(c, now, [ep.group_key]);
        const updated = (await readEpisode(c, ep.episode_id))!;
        return { result: toAlert(updated, []), outbox };
      }),
    );
  }

  async silence(req: {
    by: string;
    matchers: Matcher[];
    duration_s?: number;
    ends_at?: string;
    reason: string;
  }): Promise<Silence> {
    const problems = matcherProblems(req.matchers);
    if (problems.length) throw new RpcError('bad_request', problems.join('; '), problems);
    const now = this.d.clock.now();
    const ends = req.ends_at
      ? Date.parse(req.ends_at)
      : req.duration_s
        ? now + req.duration_s * 1000
        : Number.NaN;
    if (Number.isNaN(ends))
      throw new RpcError('bad_request', 'duration_s or ends_at is required', ['duration_s: required']);
    if (ends <= now)
      throw new RpcError('bad_request', 'ends_at must be in the future', ['ends_at: in the past']);
    return this.#serial(() =>
      this.#locked('silences', async (c) => {
        const s = await insertSilence(c, {
          matchers: req.matchers,
          starts_at: now,
          ends_at: ends,
          author: req.by,
          reason: req.reason,
          now,
        });
        const open = await c.query(
          `SELECT episode_id, labels FROM alerter_episodes WHERE state <> 'resolved'`,
        );
        await insertTimeline(
          c,
          open.rows
            .filter((r) => matchesAll(req.matchers, r.labels))
            .map((r) => ({
              episode_id: r.episode_id,
              at: now,
              kind: 'silence_added',
              detail: { silence: s.id, by: req.by, reason: req.reason, until: s.ends_at },
            })),
        );
        return { result: s };
      }),
    );
  }

  async expireSilence(req: { by: string; id: string }): Promise<Silence> {
    return this.#serial(() =>
      this.#locked('silences', async (c) => {
        const now = this.d.clock.now();
        const s = await endSilence(c, req.id, now);
        if (!s) throw new RpcError('not_found', `no active silence ${req.id}`);
        // What the silence held back is due now (if it still applies).
        return { result: s, flush: await this.#planFlush(c, now, undefined, true) };
      }),
    );
  }

  listSilences(activeOnly: boolean): Promise<Silence[]> {
    return listSilences(this.d.pool, activeOnly, this.d.clock.now());
  }

  async alerts(q: AlertQuery): Promise<Alert[]> {
    const now = this.d.clock.now();
    const [rows, silences] = await Promise.all([
      listEpisodes(this.d.pool, q),
      readActiveSilences(this.d.pool, now),
    ]);
    return rows.map((ep) => toAlert(ep, ep.state === 'resolved' ? [] : silencedBy(silences, ep.labels, now)));
  }

  async alert(id: string): Promise<{ alert: Alert; timeline: TimelineItem[] } | undefined> {
    const ep: EpisodeRow | undefined = await readEpisode(this.d.pool, id);
    if (!ep) return undefined;
    const now = this.d.clock.now();
    const silences = await readActiveSilences(this.d.pool, now);
    return {
      alert: toAlert(ep, ep.state === 'resolved' ? [] : silencedBy(silences, ep.labels, now)),
      timeline: await readTimeline(this.d.pool, id),
    };
  }

  async subscribe(
    s: Omit<Subscription, 'id' | 'created_at'>,
  ): Promise<{ subscription: Subscription; created: boolean }> {
    return this.#serial(() =>
      this.#locked('subscriptions', async (c) => ({
        result: await upsertSubscription(c, s, this.d.clock.now()),
      })),
    );
  }

  /**
   * Only the owner removes a subscription (an admin removes everyone's for that target). Alerts that were firing
   * for the removed subscribers are resolved: nobody is tagged for them any more.
   */
  async unsubscribe(req: {
    by: string;
    is_admin: boolean;
    kind: Subscription['kind'];
    target: string;
    chain_id?: string;
  }): Promise<number> {
    return this.#serial(() =>
      this.#locked('subscriptions', async (c) => {
        const now = this.d.clock.now();
        const found = await readSubscriptions(c, {
          kind: req.kind,
          target: req.target,
          chain_id: req.chain_id,
        });
        if (!found.length)
          throw new RpcError(
            'not_found',
            `no subscription for ${req.target}${req.chain_id ? ` on ${req.chain_id}` : ''}`,
          );
        const mine = req.is_admin ? found : found.filter((s) => s.owner === req.by);
        if (!mine.length)
          throw new RpcError(
            'forbidden',
            `only the user who registered ${req.target} (or an admin) can deregister it`,
          );
        const ids = new Set(mine.map((s) => s.id));
        const removed = await deleteSubscriptions(c, [...ids]);
        const d = new Decider({ now, get: (fp) => this.cache.get(fp), subscriptions: this.#subs });
        d.release(
          [...this.cache.activeRows()].filter(
            (r) => r.subscription_id !== null && ids.has(r.subscription_id),
          ),
          'subscription removed',
        );
        const plan = d.plan();
        const touched = await applyEffects(c, plan.effects, now);
        return { result: removed, plan, flush: await this.#planFlush(c, now, touched) };
      }),
    );
  }

  subscriptions(f: { owner?: string; kind?: string; chain_id?: string }): Promise<Subscription[]> {
    return readSubscriptions(this.d.pool, f);
  }
}
