import type { BlockTree, SimBlock } from './chain.ts';
import type { Hex } from './codec.ts';
import { runtimeVersion } from './metadata.ts';
import { storageValue } from './storage.ts';

export type HeadKind = 'new' | 'all' | 'finalized';

/** Notification method names of Substrate's subscriptions. */
const HEAD_METHOD: Record<HeadKind, string> = {
  new: 'chain_newHead',
  all: 'chain_allHead',
  finalized: 'chain_finalizedHead',
};

type Subscription =
  | { kind: 'head'; head: HeadKind }
  | { kind: 'runtimeVersion'; lastSpec: number }
  | { kind: 'storage'; keys: string[]; last: Map<string, Hex | null> };

/** One client connection of a node (a WebSocket): its subscriptions and how to reach it. */
export class Connection {
  readonly subs = new Map<string, Subscription>();
  constructor(
    readonly send: (msg: string) => void,
    readonly close: () => void,
  ) {}

  notify(method: string, id: string, result: unknown): void {
    this.send(JSON.stringify({ jsonrpc: '2.0', method, params: { subscription: id, result } }));
  }
}

export interface NodeOptions {
  name: string;
  /** The branch whose tip is this node's best block. */
  follows: string;
  /** 'all': imports (and announces in all heads) every block of the tree; 'own': only its branch's. */
  sees: 'all' | 'own';
  /** 'manual': blocks are imported silently; a test or the timeline announces them (any order). */
  delivery: 'auto' | 'manual';
  peers: number;
  finalityDepth: number;
}

/**
 * A node's view of the tree: which blocks it has imported, its best and finalized block, its subscribers.
 * New heads follow the best block (a reorg is a new head on another branch, possibly lower); all heads
 * follow imports; finalized heads trail the best block by `finalityDepth` and never go back.
 */
export class SimNode {
  connected = true;
  readonly known = new Set<Hex>();
  readonly connections = new Set<Connection>();
  best: SimBlock;
  finalized: SimBlock;
  /** The next n imported blocks are not announced (subscriptions miss them). */
  muted = 0;
  private nextSub = 0;

  constructor(
    readonly tree: BlockTree,
    readonly opts: NodeOptions,
  ) {
    this.best = tree.genesis;
    this.finalized = tree.genesis;
    this.known.add(tree.genesis.hash);
  }

  get name(): string {
    return this.opts.name;
  }

  knows(hash: string): SimBlock | undefined {
    const b = this.tree.get(hash);
    return b && this.known.has(b.hash) ? b : undefined;
  }

  /** The block at a height on this node's best chain. */
  atHeight(n: number): SimBlock | undefined {
    return n > this.best.number ? undefined : this.tree.ancestorAt(this.best, n);
  }

  /** Called for every new block of the tree. */
  onBlock(block: SimBlock): void {
    const own = this.tree.isAncestor(block, this.tree.tip(this.opts.follows));
    if (this.opts.sees === 'own' && !own) return;
    const silent = this.isSilent();
    this.importBlock(block);
    if (own) this.setBest(this.tree.tip(this.opts.follows), silent);
  }

  private isSilent(): boolean {
    return this.opts.delivery === 'manual' || this.muted > 0;
  }

  /** Imports a block and its unknown ancestors (a node syncs parents first). */
  importBlock(block: SimBlock): void {
    const missing: SimBlock[] = [];
    for (let b: SimBlock | undefined = block; b && !this.known.has(b.hash); b = this.tree.get(b.parentHash)) {
      missing.push(b);
    }
    for (const b of missing.reverse()) {
      this.known.add(b.hash);
      if (this.muted > 0) this.muted--;
      else if (this.opts.delivery === 'auto') this.emitHead('all', b);
    }
  }

  /** Makes this node follow a branch: its tip becomes the best block (a reorg when it is not a descendant). */
  follow(branch: string): void {
    this.opts.follows = branch;
    const tip = this.tree.tip(branch);
    this.importBlock(tip);
    this.setBest(tip, this.opts.delivery === 'manual');
  }

  setBest(block: SimBlock, silent = false): void {
    this.importBlock(block);
    if (block.hash === this.best.hash) return;
    this.best = block;
    if (!silent) this.emitHead('new', block);
    this.emitRuntimeVersion(block);
    this.emitStorage(block);
    const target = this.tree.ancestorAt(block, block.number - this.opts.finalityDepth);
    if (target && target.number > this.finalized.number && this.tree.isAncestor(this.finalized, target)) {
      this.finalize(target, silent);
    }
  }

  finalize(block: SimBlock, silent = false): void {
    this.finalized = block;
    if (!silent) this.emitHead('finalized', block);
  }

  /** Announces blocks in the given order on the given subscriptions, whatever the node's best is. */
  announce(blocks: SimBlock[], kinds: HeadKind[]): void {
    for (const b of blocks) {
      this.importBlock(b);
      for (const k of kinds) this.emitHead(k, b);
    }
  }

  /** Open subscriptions on this node (of one head kind, or all kinds): lets a test wait until a client listens. */
  subscriptionCount(head?: HeadKind): number {
    let n = 0;
    for (const c of this.connections) {
      for (const s of c.subs.values()) if (!head || (s.kind === 'head' && s.head === head)) n++;
    }
    return n;
  }

  subscribe(conn: Connection, sub: Subscription): string {
    const id = `${this.opts.name}-${++this.nextSub}`;
    conn.subs.set(id, sub);
    // Substrate sends the current best / finalized head right away; all heads only on import.
    if (sub.kind === 'head' && sub.head !== 'all') {
      const b = sub.head === 'new' ? this.best : this.finalized;
      queueMicrotask(() => conn.notify(HEAD_METHOD[sub.head], id, b.header));
    }
    if (sub.kind === 'runtimeVersion') {
      queueMicrotask(() => conn.notify('state_runtimeVersion', id, runtimeVersion(this.best.specVersion)));
    }
    if (sub.kind === 'storage') queueMicrotask(() => this.sendStorage(conn, id, sub, this.best, true));
    return id;
  }

  private emitHead(kind: HeadKind, block: SimBlock): void {
    for (const c of this.connections) {
      for (const [id, s] of c.subs)
        if (s.kind === 'head' && s.head === kind) c.notify(HEAD_METHOD[kind], id, block.header);
    }
  }

  private emitRuntimeVersion(block: SimBlock): void {
    for (const c of this.connections) {
      for (const [id, s] of c.subs) {
        if (s.kind !== 'runtimeVersion' || s.lastSpec === block.specVersion) continue;
        s.lastSpec = block.specVersion;
        c.notify('state_runtimeVersion', id, runtimeVersion(block.specVersion));
      }
    }
  }

  private emitStorage(block: SimBlock): void {
    for (const c of this.connections) {
      for (const [id, s] of c.subs) if (s.kind === 'storage') this.sendStorage(c, id, s, block, false);
    }
  }

  private sendStorage(
    conn: Connection,
    id: string,
    sub: Extract<Subscription, { kind: 'storage' }>,
    block: SimBlock,
    all: boolean,
  ): void {
    const changes: Array<[string, Hex | null]> = [];
    for (const k of sub.keys) {
      const v = storageValue(this.tree, block, k);
      if (all || sub.last.get(k) !== v) changes.push([k, v]);
      sub.last.set(k, v);
    }
    if (changes.length > 0) conn.notify('state_storage', id, { block: block.hash, changes });
  }

  /** Drops every connection (a node going away); the server refuses new ones while disconnected. */
  disconnect(): void {
    this.connected = false;
    for (const c of this.connections) c.close();
    this.connections.clear();
  }
}
