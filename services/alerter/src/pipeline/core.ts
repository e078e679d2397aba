import type { Publisher } from '@tocsin/bus';
import type { Notification } from '@tocsin/events';
import type { Clock } from '@tocsin/runtime';
import type { JsonLiterals, Pool, PoolClient } from '@tocsin/store';
import type { AlerterConfig } from '../config.ts';
import {
  type FlushOptions,
  type FlushRead,
  flushGroups,
  planFromRead,
  planGroupFlush,
} from '../grouping/flush.ts';
import type { FreshBatch } from '../grouping/fresh.ts';
import type { FlushWrite } from '../grouping/notifications.ts';
import { Decider } from '../lifecycle/decide.ts';
import { RuleIndex } from '../lifecycle/evaluate.ts';
import {
  beginLocked,
  type Meta,
  readMeta,
  StateCache,
  writeStatesAndCommit,
} from '../lifecycle/stateStore.ts';
import type { Plan } from '../lifecycle/types.ts';
import { closeDue } from '../maintenance/close.ts';
import { readLiveWindows } from '../maintenance/store.ts';
import { compileWindows, dueToClose, mutingAt, type Window } from '../maintenance/windows.ts';
import { OutboxMarks } from '../outbox/marks.ts';
import { OutboxLeases, type OutboxRow, outboxRows, publishOutbox } from '../outbox/outbox.ts';
import type { RuleSet } from '../rules/loadRules.ts';
import type { ActiveSilence } from '../silences/match.ts';
import { readSilences } from '../silences/silenceStore.ts';
import { readAlertSubscriptions } from '../subscriptions/alertSubscriptionStore.ts';
import { digestBoundary, runDigests } from '../subscriptions/digest.ts';
import { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import { readSubscriptions } from '../subscriptions/subscriptionStore.ts';

/**
 * How long published rows wait for a commit to take their DELETE with it before it is sent alone (OutboxMarks):
 * under a flow of batches one comes within a batch's time; when the flow stops, the rows go soon after.
 */
const MARK_LINGER_MS = 200;

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

/**
 * Statements sent with the lock in its round trip (see beginLocked), written on the judgement made before the lock
 * was granted: kept when `accept` says that judgement still holds (the state version the lock opened is the next one
 * after the judged state), rolled back otherwise. `json`: the values of the marks in `sql`.
 */
export interface Prelude {
  sql: string;
  json: JsonLiterals;
  accept(meta: Meta): boolean;
}

/** What a locked operation returns: its result, the state it decided, and its notifications (written, or planned). */
export interface LockedOutcome<T> {
  result: T;
  plan?: Plan;
  /** Notifications already written to the outbox in the transaction. */
  outbox?: OutboxRow[];
  /** A flush whose final write goes with the state write and COMMIT, in one round trip. */
  flush?: FlushWrite | null;
}

/**
 * What the pipeline and the commands of one replica share: the cached state, subscriptions and silences, the
 * queue that runs their operations one at a time, and the locked transaction every change of shared state goes
 * through (see beginLocked), so replicas never interleave decisions.
 */
export class AlerterCore {
  readonly index: RuleIndex;
  readonly cache = new StateCache();
  subs = new SubscriptionIndex();
  subsVersion = -1;
  /** Silences not yet over when last read, by silences_version. */
  silences: ActiveSilence[] = [];
  #silencesVersion = -1;
  /** Maintenance windows that may still mute or close something (re-read with the silences). */
  maintenance: Window[] = [];
  /** The hour boundary at which digests were last decided by this replica (the table says what is done). */
  #digestsCheckedAt = Number.NEGATIVE_INFINITY;
  #queue: Promise<unknown> = Promise.resolve();
  /** The commit in flight (stageLocked), settled: never rejects. */
  #committing: Promise<void> = Promise.resolve();
  /** The notifications being published, in commit order (see #publish). */
  #publishing: Promise<void> = Promise.resolve();
  /** The leases of the notifications this replica is publishing (renewed until they are marked). */
  readonly leases: OutboxLeases;
  /** Published rows whose DELETE goes with the next commit (OutboxMarks). */
  readonly marks: OutboxMarks;

  constructor(readonly d: AlerterDeps) {
    this.index = new RuleIndex(d.rules.rules);
    this.leases = new OutboxLeases(d.pool, d.config.outbox_lease, d.log);
    this.marks = new OutboxMarks(d.pool, this.leases, d.log, MARK_LINGER_MS);
  }

  get params(): Record<string, unknown> {
    return this.d.rules.params;
  }

  /**
   * Runs operations of this replica one after another (each is one transaction or a read), each once the commit in
   * flight (see stageLocked) has ended, so it sees the committed state.
   */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const after = () => this.#committing.then(fn);
    return this.serialStaged(after);
  }

  /**
   * As serial, without waiting for the commit in flight: for a batch, judged on the cache, which already holds the
   * state that commit writes (stageLocked).
   */
  serialStaged<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the commit in flight, if any, has ended (committed or not; the cache says which). */
  committed(): Promise<void> {
    return this.#committing;
  }

  async refresh(q: Pool | PoolClient, meta: Meta): Promise<void> {
    await this.cache.refresh(q, meta);
    if (meta.subscriptions_version !== this.subsVersion) {
      this.subs = new SubscriptionIndex(await readSubscriptions(q), await readAlertSubscriptions(q));
      this.subsVersion = meta.subscriptions_version;
    }
    if (meta.silences_version !== this.#silencesVersion) {
      this.silences = await readSilences(q, this.d.clock.now());
      this.maintenance = compileWindows(await readLiveWindows(q), (w, problems) =>
        this.d.log.warn({ maintenance: w.id, problems }, 'stored maintenance window ignored'),
      );
      this.#silencesVersion = meta.silences_version;
    }
  }

  /** Loads the shared state (start-up). */
  async init(): Promise<void> {
    await this.serial(async () => this.refresh(this.d.pool, await readMeta(this.d.pool)));
  }

  /** A decider over the cached state. */
  decider(now: number): Decider {
    return new Decider({
      now,
      get: (fp) => this.cache.get(fp),
      subscriptions: this.subs,
      flapOf: (id) => this.index.byId.get(id)?.flap ?? null,
      anyFlap: this.index.anyFlap,
    });
  }

  /**
   * Locks, brings the cache up to date, runs fn, commits; then updates the cache and publishes the outbox. A batch
   * (`awaitPublish` false) does not wait for its notifications to be acknowledged by the stream: the next batch
   * starts while they are in flight (they are committed in the outbox, and published in commit order).
   */
  async locked<T>(
    bump: 'silences' | 'subscriptions' | null,
    fn: (c: PoolClient, meta: Meta) => Promise<LockedOutcome<T>>,
    awaitPublish = true,
  ): Promise<T> {
    const { done } = await this.stageLocked(bump, fn, awaitPublish);
    return done;
  }

  /**
   * `locked` in two stages (pipelining): returns once the final write and COMMIT are sent, with the cache already
   * holding the state they write, so that the next batch is judged (and its lock requested) while the commit is in
   * flight; `done` settles with the commit. The next transaction of this replica waits for the lock, and then for
   * `done`, before it reads the cache (committed order is kept). A commit that fails resets the cache: whatever was
   * judged on it is judged again under the lock (StateCache.resets).
   */
  async stageLocked<T>(
    bump: 'silences' | 'subscriptions' | null,
    fn: (c: PoolClient, meta: Meta, prelude: FlushRead | null) => Promise<LockedOutcome<T>>,
    awaitPublish = true,
    prelude?: Prelude,
  ): Promise<{ done: Promise<T> }> {
    const c = await this.d.pool.connect();
    let version = 0;
    let out: LockedOutcome<T>;
    let sent: Promise<Record<string, unknown>[]>;
    let marking: ReturnType<OutboxMarks['take']> = null;
    try {
      let meta = await beginLocked(c, bump, prelude?.sql, prelude?.json);
      // The previous commit of this replica ended before the lock was granted; its outcome is in the cache first.
      await this.#committing;
      let results: FlushRead | null = prelude ? meta.prelude : null;
      if (prelude && !prelude.accept(meta)) {
        // What the prelude wrote was judged on a state that moved: undone, and fn judges again.
        await c.query('ROLLBACK');
        meta = await beginLocked(c, bump);
        results = null;
      }
      await this.refresh(c, { ...meta, version: meta.version - 1 });
      version = meta.version;
      out = await fn(c, meta, results);
      marking = this.marks.take();
      sent = writeStatesAndCommit(c, out.plan?.rows.values() ?? [], meta.version, out.flush, marking?.sql);
    } catch (err) {
      await this.#abort(c, err as Error);
      throw err;
    }
    this.cache.commit(out.plan?.rows.values() ?? [], version);
    const done = sent.then(
      async (written) => {
        c.release();
        marking?.settle(true);
        if (out.flush)
          out = { ...out, outbox: [...(out.outbox ?? []), ...outboxRows(written, out.flush.list)] };
        // The subscriptions were read before this transaction changed them.
        if (bump === 'subscriptions') this.subsVersion = -1;
        if (bump === 'silences') this.#silencesVersion = -1;
        if (out.plan) this.d.onTransitions?.(out.plan.effects.map((e) => e.kind));
        if (out.outbox?.length) {
          const published = this.#publish(out.outbox);
          if (awaitPublish) await published;
        }
        return out.result;
      },
      async (err: Error) => {
        // The cache took this transaction's rows before it committed.
        this.cache.reset();
        marking?.settle(false);
        await this.#abort(c, err);
        throw err;
      },
    );
    this.#committing = done.then(
      () => undefined,
      () => undefined,
    );
    return { done };
  }

  async #abort(c: PoolClient, err: Error): Promise<void> {
    await c.query('ROLLBACK').catch(() => undefined);
    // After a failure the connection may be gone: the pool discards the client rather than reuse it.
    c.release(err);
  }

  /**
   * Publishes a commit's notifications. Called in commit order, and the publishes of one call are sent before it
   * returns, so the stream stores them in that order even while earlier ones await their acknowledgements.
   */
  #publish(rows: OutboxRow[]): Promise<number> {
    const run = this.publishRows(rows, true);
    const settled = run.then(
      () => undefined,
      (err) =>
        this.d.log.warn({ err: String(err) }, 'notification publish failed; the outbox relay will retry'),
    );
    this.#publishing = Promise.all([this.#publishing, settled]).then(() => undefined);
    return run;
  }

  /** Publishes outbox rows and marks them published (publishOutbox; `built`: a commit's, not the relay's). */
  publishRows(rows: OutboxRow[], built = false): Promise<number> {
    return publishOutbox(
      this.d.pool,
      this.d.publisher,
      rows,
      this.d.log,
      this.leases,
      this.d.onNotification,
      (seqs) => this.marks.add(seqs),
      built,
    );
  }

  /** Resolves once no operation is queued or running and every committed notification has been published. */
  async settled(): Promise<void> {
    for (;;) {
      const queue = this.#queue;
      const committing = this.#committing;
      const publishing = this.#publishing;
      await queue;
      await committing;
      await publishing;
      if (queue === this.#queue && committing === this.#committing && publishing === this.#publishing) {
        await this.marks.flush();
        return;
      }
    }
  }

  /** Resolves once every notification committed so far has been published (or left to the relay). */
  async published(): Promise<void> {
    await this.#publishing;
    // Their rows deleted too (rather than with the next commit, which may not come).
    await this.marks.flush();
  }

  /** Flushes due groups now; `freshSilences` when this transaction changed them. */
  flush(
    c: PoolClient,
    now: number,
    groupKeys?: Iterable<string>,
    freshSilences = false,
  ): Promise<OutboxRow[]> {
    return flushGroups(c, this.#flushOptions(now, groupKeys, freshSilences));
  }

  /** Plans the flush of due groups; its final write goes with the commit (see locked). */
  planFlush(
    c: PoolClient,
    now: number,
    groupKeys?: Iterable<string>,
    freshSilences = false,
  ): Promise<FlushWrite | null> {
    return planGroupFlush(c, this.#flushOptions(now, groupKeys, freshSilences));
  }

  /** planFlush with what it reads already read (flushReadSql, in this transaction); see planFromRead. */
  planFlushFrom(c: PoolClient, now: number, read: FlushRead, fresh?: FreshBatch): Promise<FlushWrite | null> {
    return planFromRead(c, this.#flushOptions(now, undefined, false), read, fresh);
  }

  /** The occurrences of maintenance windows muting alerts at `now` (as silences). */
  maintenanceMuting(now: number): ActiveSilence[] {
    return mutingAt(this.maintenance, now);
  }

  /** Whether an occurrence of a maintenance window is over and waits to be closed (its summary). */
  maintenanceDue(now: number): boolean {
    return dueToClose(this.maintenance, now).length > 0;
  }

  /**
   * Closes the maintenance occurrences that are over (see closeOccurrences), before the flush of the same
   * transaction; returns their summaries, written in the outbox. The cached windows move on at once (and are
   * re-read at the next lock, whether this transaction commits or not).
   */
  async closeMaintenance(c: PoolClient, now: number): Promise<OutboxRow[]> {
    const closed = await closeDue(c, this.maintenance, now, this.d.config.outbox_lease);
    if (!closed) return [];
    this.maintenance = closed.windows;
    this.#silencesVersion = -1;
    return closed.rows;
  }

  /** Whether a digest boundary (an hour, a subscriber's daily time) passed since digests were last decided here. */
  digestsDue(now: number): boolean {
    return this.subs.digests.length > 0 && digestBoundary(now, this.subs.digests) > this.#digestsCheckedAt;
  }

  /** Decides the digests due at `now` (see runDigests), written in the outbox with the tick's commit. */
  async decideDigests(c: PoolClient, now: number): Promise<OutboxRow[]> {
    if (!this.digestsDue(now)) return [];
    return runDigests(c, this.subs.digests, now, this.d.config.outbox_lease);
  }

  /** After the tick that decided them committed: the next check is at the next digest boundary. */
  digestsDecided(now: number): void {
    this.#digestsCheckedAt = Math.max(this.#digestsCheckedAt, digestBoundary(now, this.subs.digests));
  }

  #flushOptions(now: number, groupKeys: Iterable<string> | undefined, freshSilences: boolean): FlushOptions {
    return {
      now,
      groupKeys,
      silences: freshSilences ? undefined : this.silences,
      maintenance: this.maintenanceMuting(now),
      priorityWaitMs: this.d.config.defaults.priority_wait,
      outboxLeaseMs: this.d.config.outbox_lease,
      incidents: this.d.rules.incidents,
      manualResolve: (ruleId) => this.index.byId.get(ruleId)?.manualResolve === true,
    };
  }
}
