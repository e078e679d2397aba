import type { subspaceBlocksRpc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { z } from 'zod';
import { accountKey } from './activity.ts';
import { pollBalances } from './balances.ts';
import { type CheckDeps, checkBlock, type Fetched, fetchBlock } from './blockCheck.ts';
import type { SubspaceBlocksConfig } from './config.ts';
import { type HeadKind, NodeConnection } from './connections.ts';
import { type ForkAction, ForkMonitor, type ForkOutput, type Header } from './fork/forkMonitor.ts';
import { reorgEvents, sideForkEvent } from './forkEvents.ts';
import { AncestorReader } from './gapFill.ts';
import { blockRef, eventsOut as E, type Outgoing, publishAll } from './publish.ts';
import { type IngestorState, loadState, type Reported, saveState } from './store/state.ts';
import { Windows } from './windows.ts';

export type StatusResult = z.infer<typeof subspaceBlocksRpc.status.result>;

/** Blocks fetched at once ahead of the check that needs them (a bounded window: memory stays flat). */
const PREFETCH = 64;
/** Events held at most during a long batch before they are published. */
const PUBLISH_EVERY = 1_024;
/** Chain times kept for chain_time_gap (recent blocks only). */
const TIMES_KEPT = 2_000;

/**
 * The subspace-blocks ingestor: nodes feed heads into the fork monitor; one serial pipeline fills gaps, checks
 * each best-fork block once (decode, facts, windows), publishes the events in order and then saves the state, so
 * a restart resumes after the last block whose events were published.
 */
export class SubspaceIngestor {
  readonly nodes: NodeConnection[];
  readonly #ctx: ServiceContext<SubspaceBlocksConfig>;
  readonly #cfg: SubspaceBlocksConfig;
  #fork: ForkMonitor;
  #windows: Windows;
  readonly #reported = new Map<string, Reported[]>();
  readonly #times = new Map<string, number>();
  readonly #spec: { value: number | null } = { value: null };
  readonly #ancestors = new AncestorReader();
  readonly #important = new Set<string>();
  readonly #labels = new Map<string, string>();
  #checkedBlocks = 0;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  #lastStatusAt = Number.NEGATIVE_INFINITY;
  /** Counts for tests and the benchmark. */
  readonly stats = { checked: 0, fetchedParents: 0, reorgs: 0, failures: 0 };

  constructor(ctx: ServiceContext<SubspaceBlocksConfig>) {
    this.#ctx = ctx;
    this.#cfg = ctx.section;
    const c = this.#cfg;
    this.#fork = new ForkMonitor({ maxGap: c.max_gap, maxBlocks: c.max_blocks, backfill: c.backfill_blocks });
    this.#windows = this.#newWindows();
    for (const a of c.important_addresses) {
      const k = accountKey(a.address);
      if (!k) throw new Error(`subspace_blocks.important_addresses: ${a.address} is not an SS58 address`);
      this.#important.add(k);
      this.#labels.set(k, a.label);
    }
    this.nodes = c.nodes.map(
      (url, i) =>
        new NodeConnection(
          {
            url,
            primary: i === 0,
            clock: ctx.clock,
            log: ctx.log,
            reconnectMinMs: c.reconnect_min,
            reconnectMaxMs: c.reconnect_max,
            requestTimeoutMs: c.request_timeout,
            watchdogMs: c.watchdog,
          },
          { onHead: (n, h, k) => this.#onHead(n, h, k), onStatus: (n) => this.#onStatus(n) },
        ),
    );
  }

  #newWindows(state?: IngestorState['windows']): Windows {
    const c = this.#cfg;
    return new Windows(
      {
        slotWindow: c.slot_window,
        inactiveBlocks: c.farmer_inactive_blocks,
        historyBlocks: c.farmer_history_blocks,
      },
      state,
    );
  }

  async start(): Promise<void> {
    const saved = await loadState(this.#ctx.pool, this.#cfg.chain_id, this.#ctx.instance);
    if (saved) {
      this.#fork = new ForkMonitor(
        { maxGap: this.#cfg.max_gap, maxBlocks: this.#cfg.max_blocks },
        saved.fork,
      );
      this.#windows = this.#newWindows(saved.windows);
      for (const [h, r] of saved.reported) this.#reported.set(h, r);
      for (const [h, t] of saved.times) this.#times.set(h, t);
      this.#spec.value = saved.specVersion;
      this.#checkedBlocks = saved.checkedBlocks;
      this.#ctx.log.info({ tip: this.#fork.bestTip, blocks: this.#fork.size }, 'fork state restored');
    }
    for (const n of this.nodes) n.start();
    if (this.#cfg.timers) {
      this.#timer = setInterval(() => this.tick(), 1_000);
      this.#timer.unref?.();
    }
  }

  /** Watchdog and periodic node_status, on the injected clock (tests call it after moving the clock). */
  tick(): void {
    for (const n of this.nodes) n.watchdog();
    const now = this.#ctx.clock.now();
    if (now - this.#lastStatusAt >= this.#cfg.status_interval) {
      this.#lastStatusAt = now;
      for (const n of this.nodes)
        this.#enqueue(async () => {
          await n.refreshHealth();
          await this.#publish([this.#nodeStatus(n)]);
        });
    }
  }

  /** Resolves when everything queued so far is processed and published. */
  settled(): Promise<void> {
    return this.#queue;
  }

  get fork(): ForkMonitor {
    return this.#fork;
  }

  #enqueue(fn: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#closed) return;
      try {
        await fn();
      } catch (err) {
        this.stats.failures++;
        this.#ctx.log.error({ err: (err as Error).message }, 'block pipeline step failed');
      }
    });
  }

  #onHead(node: NodeConnection, head: Header, kind: HeadKind): void {
    if (kind === 'best') this.#ctx.heights.set(this.#cfg.chain_id, head.height);
    this.#enqueue(async () => {
      if (kind === 'finalized') {
        this.#fork.finalize(head.height);
        return;
      }
      await this.#process(this.#fork.add(head, { best: kind === 'best' && node.primary }), node);
    });
  }

  #onStatus(node: NodeConnection): void {
    this.#enqueue(async () => {
      await this.#publish([this.#nodeStatus(node)]);
      if (node.connected) await this.#process(this.#fork.retry(), node);
    });
  }

  #nodeStatus(n: NodeConnection): Outgoing {
    const off = n.best ? this.#fork.distanceFromBest(n.best.hash) : null;
    const slot = Math.floor(this.#ctx.clock.now() / this.#cfg.status_interval);
    return E.make(
      E.nodeStatus,
      `${this.#ctx.instance}:${n.shown}:${n.connected}:${n.best?.hash ?? '-'}:${slot}`,
      {
        node: n.shown,
        primary: n.primary,
        connected: n.connected,
        best: n.best ? blockRef(n.best) : null,
        finalized: n.finalized ? blockRef(n.finalized) : null,
        peers: n.peers,
        syncing: n.syncing,
        off_best_chain: off,
        error: n.connected ? null : n.error,
      },
    );
  }

  /** Nodes to ask, the one that announced the block first, then the primary, then the others. */
  #candidates(first: NodeConnection): NodeConnection[] {
    return [first, ...this.nodes.filter((n) => n !== first)].filter((n) => n.connected && n.ready);
  }

  async #fetch(first: NodeConnection, hash: string): Promise<Fetched> {
    let delay = 250;
    for (;;) {
      for (const n of this.#candidates(first)) {
        try {
          return await fetchBlock(n, hash);
        } catch (err) {
          this.#ctx.log.warn({ node: n.shown, hash, err: (err as Error).message }, 'block fetch failed');
        }
      }
      if (this.#closed) throw new Error('closing');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }

  /** Gap fill, then the actions in order; events are published before the state is saved. */
  async #process(first: ForkOutput, node: NodeConnection): Promise<void> {
    const actions: ForkAction[] = [];
    const pending = [first];
    while (pending.length) {
      const o = pending.shift()!;
      actions.push(...o.actions);
      for (const r of o.requests) {
        const n = this.#candidates(node)[0];
        try {
          if (!n) throw new Error('no node connected');
          // Headers only (the check reads the block), read ahead while the requests follow the node's chain.
          const tip = this.#fork.bestTip;
          const floor = tip ? tip.height + 1 : Math.max(0, r.height + 1 - this.#cfg.backfill_blocks);
          const header = await this.#ancestors.header(n, r, floor);
          this.stats.fetchedParents++;
          pending.push(this.#fork.add(header, { fetched: true }));
        } catch (err) {
          this.#fork.requestFailed(r.hash);
          this.#ctx.log.warn(
            { hash: r.hash, err: (err as Error).message },
            'gap fill failed; retried on reconnect',
          );
        }
      }
    }
    if (!actions.length) return;
    const checks = actions.flatMap((a) => (a.kind === 'check' ? [a.block.hash] : []));
    const fetched = new Map<string, Promise<Fetched>>();
    let next = 0;
    const events: Outgoing[] = [];
    const deps: CheckDeps = {
      ctx: {
        explorer: this.#cfg.explorer_url,
        decimals: this.#cfg.decimals,
        labels: this.#labels,
        keyOf: accountKey,
      },
      important: this.#important,
      windows: this.#windows,
      times: this.#times,
      chainTimeGapMinMs: this.#cfg.chain_time_gap_min,
      specVersion: this.#spec,
    };
    let publishing: Promise<void> = Promise.resolve();
    let lastTip: { header: Header; node: NodeConnection } | null = null;
    let balanceDue = false;
    let done = 0;
    for (const a of actions) {
      if (a.kind === 'check') {
        while (next < checks.length && next - done < PREFETCH) {
          const h = checks[next++]!;
          const p = this.#fetch(node, h);
          p.catch(() => undefined);
          fetched.set(h, p);
        }
        const f = await fetched.get(a.block.hash)!;
        fetched.delete(a.block.hash);
        done++;
        const r = checkBlock(deps, a.block, a.tip, f);
        events.push(...r.events);
        if (r.reported.length) this.#reported.set(a.block.hash, r.reported);
        // A long catch-up keeps recent chain times only, as a save does.
        if (this.#times.size >= 2 * TIMES_KEPT) this.#pruneTimes();
        this.stats.checked++;
        this.#checkedBlocks++;
        if (this.#checkedBlocks % this.#cfg.balance_every_blocks === 0) balanceDue = true;
        lastTip = { header: a.block, node: f.node };
        // A long catch-up publishes as it goes, one batch in flight while the next blocks are checked (in order:
        // a batch goes out once the one before is stored). The state is saved at the end: a crash re-checks the
        // batch, and the same dedup keys are stored once within the duplicate window.
        if (events.length >= PUBLISH_EVERY) {
          await publishing;
          publishing = this.#publish(events.splice(0));
          publishing.catch(() => undefined);
        }
      } else if (a.kind === 'reorg') {
        this.stats.reorgs++;
        events.push(...reorgEvents(a, this.#reported));
      } else if (a.kind === 'side_fork') {
        events.push(sideForkEvent(a, this.#fork.bestTip ?? a.tip));
      } else {
        this.#ctx.log.warn(
          { from: a.from, to: a.to },
          'best tip jumped to a fork beyond max_gap (not connected)',
        );
      }
    }
    if (balanceDue && lastTip) {
      try {
        const now = this.#ctx.clock.now();
        events.push(
          ...(await pollBalances(lastTip.node, lastTip.header, this.#cfg.important_addresses, now, {
            pool: this.#ctx.pool,
            chainId: this.#cfg.chain_id,
            decimals: this.#cfg.decimals,
            historyMs: this.#cfg.balance_history,
            burnWindowMs: this.#cfg.burn_window,
          })),
        );
      } catch (err) {
        this.#ctx.log.warn({ err: (err as Error).message }, 'balance poll failed');
      }
    }
    await publishing;
    await this.#publish(events);
    await this.#save();
  }

  async #publish(events: Outgoing[]): Promise<void> {
    await publishAll(
      this.#ctx.publisher,
      this.#cfg.chain_id,
      events,
      this.#ctx.log,
      () => this.#ctx.clock.now(),
      () => this.#closed,
    );
  }

  /** Keeps the chain times of the last TIMES_KEPT checked blocks (a Map iterates in insertion order). */
  #pruneTimes(): void {
    let extra = this.#times.size - TIMES_KEPT;
    for (const h of this.#times.keys()) {
      if (extra-- <= 0) break;
      this.#times.delete(h);
    }
  }

  async #save(): Promise<void> {
    for (const h of this.#reported.keys()) if (!this.#fork.has(h)) this.#reported.delete(h);
    this.#pruneTimes();
    const state: IngestorState = {
      fork: this.#fork.snapshot(),
      windows: this.#windows.snapshot(),
      reported: [...this.#reported],
      times: [...this.#times],
      specVersion: this.#spec.value,
      checkedBlocks: this.#checkedBlocks,
    };
    await saveState(this.#ctx.pool, this.#cfg.chain_id, this.#ctx.instance, state, this.#ctx.clock.now());
  }

  status(): StatusResult {
    const tip = this.#fork.bestTip;
    const fin = this.#fork.finalizedHeight;
    const farmers = this.#windows.farmerStats();
    return {
      chain_id: this.#cfg.chain_id,
      nodes: this.nodes.map((n) => ({
        node: n.shown,
        primary: n.primary,
        connected: n.connected,
        best: n.best ? blockRef(n.best) : null,
        finalized: n.finalized ? blockRef(n.finalized) : null,
        peers: n.peers,
        off_best_chain: n.best ? this.#fork.distanceFromBest(n.best.hash) : null,
        error: n.connected ? null : n.error,
      })),
      best_tip: tip ? blockRef(tip) : null,
      finalized: fin === null ? null : (this.nodes.find((n) => n.finalized)?.finalized ?? null),
      checked: tip ? blockRef(tip) : null,
      forks: this.#fork
        .sideForks()
        .slice(0, 20)
        .map((f) => ({
          tip: blockRef(f.tip),
          fork_point: blockRef(f.forkPoint),
          length: f.length,
        })),
      tracked_blocks: this.#fork.size,
      seconds_per_slot: this.#windows.slotTime().secondsPerSlot,
      active_farmers: farmers.blocks ? farmers.active : null,
      farmers_window_average: farmers.average,
    };
  }

  /** Block time and slot time over the slot window (`series` RPC). */
  series(): ReturnType<Windows['series']> {
    return this.#windows.series();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#closed = true;
    await Promise.all(this.nodes.map((n) => n.close()));
    await this.#queue;
  }
}
