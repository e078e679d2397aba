/**
 * The fork monitor: a pure, deterministic core (no I/O, no clock). Blocks arrive in any order, some never; the
 * monitor reassembles them into a tree, asks for missing parents (gap fill, up to `maxGap` per chain), follows the
 * best tip the primary node announces, and tells the caller which blocks to check, each exactly once and in
 * chain order, plus the reorgs and side forks it saw. Its whole state is a plain object (`snapshot()`), which the
 * service keeps in PostgreSQL so a restart resumes without checking a block again.
 */

import {
  DEFAULT_FORK_OPTIONS,
  type ForkOptions,
  type ForkOutput,
  type ForkState,
  type Header,
} from './forkTypes.ts';

export type { ForkAction, ForkOptions, ForkOutput, ForkState, Header } from './forkTypes.ts';

interface Tracked extends Header {
  /** Has a path to a root (the first block, or the base of a disconnected fork). */
  attached: boolean;
  checked: boolean;
  /** Detached blocks only: how many parents were fetched below the announced block (0 = announced). */
  depth: number;
}

export class ForkMonitor {
  readonly #opts: ForkOptions;
  readonly #blocks = new Map<string, Tracked>();
  readonly #children = new Map<string, Set<string>>();
  /** Height → hash of the current best chain (attached part). */
  readonly #best = new Map<number, string>();
  readonly #requested = new Set<string>();
  #bestTip: string | null = null;
  /** The latest best announcement not yet applied (its chain is still being filled). */
  #candidate: string | null = null;
  #finalized = -1;
  #anyAttached = false;
  /** #floor(), until a block is attached or dropped. */
  #floorCache: number | null = null;
  /** The lowest detached ancestor found for a candidate (#stuck walks on from it instead of from the top). */
  #base: { of: string; base: Tracked } | null = null;

  constructor(opts: Partial<ForkOptions> = {}, state?: ForkState) {
    this.#opts = { ...DEFAULT_FORK_OPTIONS, ...opts };
    if (state) this.#restore(state);
  }

  get bestTip(): Header | null {
    return this.#bestTip ? this.#header(this.#blocks.get(this.#bestTip)!) : null;
  }
  get size(): number {
    return this.#blocks.size;
  }
  get finalizedHeight(): number | null {
    return this.#finalized < 0 ? null : this.#finalized;
  }
  has(hash: string): boolean {
    return this.#blocks.has(hash);
  }
  get(hash: string): Header | undefined {
    const b = this.#blocks.get(hash);
    return b ? this.#header(b) : undefined;
  }
  isChecked(hash: string): boolean {
    return this.#blocks.get(hash)?.checked ?? false;
  }
  onBestChain(hash: string): boolean {
    const b = this.#blocks.get(hash);
    return !!b && this.#best.get(b.height) === hash;
  }

  /**
   * One block seen: `best` when the primary announced it as its best block, `fetched` when it answers a gap-fill
   * request. Returns what to do now.
   */
  add(h: Header, how: { best?: boolean; fetched?: boolean } = {}): ForkOutput {
    const out: ForkOutput = { actions: [], requests: [] };
    this.#requested.delete(h.hash);
    let b = this.#blocks.get(h.hash);
    if (!b) {
      if (h.height <= this.#finalized && !how.best && !how.fetched && !this.#blocks.has(h.parent)) return out;
      const child = how.fetched ? this.#lowestChildDepth(h.hash) : undefined;
      b = { ...this.#header(h), attached: false, checked: false, depth: child === undefined ? 0 : child + 1 };
      this.#blocks.set(b.hash, b);
      this.#link(b.parent, b.hash);
      if (how.best) this.#candidate = b.hash;
      this.#connect(b, out);
    }
    if (how.best) this.#candidate = b.hash;
    this.#advance(out);
    if (this.#blocks.size > this.#opts.maxBlocks) this.#prune();
    return out;
  }

  /** A gap-fill request could not be answered (node gone): it may be asked again. */
  requestFailed(hash: string): void {
    this.#requested.delete(hash);
  }

  /** Asks again for every missing parent (after a reconnect or a restart: open requests were lost). */
  retry(): ForkOutput {
    const out: ForkOutput = { actions: [], requests: [] };
    this.#requested.clear();
    if (!this.#anyAttached) {
      // Backfilling below the first best block: only its chain.
      let base = this.#candidate ? this.#blocks.get(this.#candidate) : undefined;
      for (let p = base && this.#blocks.get(base.parent); p; p = this.#blocks.get(p.parent)) base = p;
      if (base) this.#requestParent(base, out);
    } else {
      for (const b of this.#blocks.values())
        if (!b.attached && !this.#blocks.has(b.parent)) this.#requestParent(b, out);
    }
    this.#advance(out);
    return out;
  }

  /** The finalized height moved: forks below it are dead and may be pruned. */
  finalize(height: number): ForkOutput {
    if (height > this.#finalized) this.#finalized = height;
    if (!this.#anyAttached) return { actions: [], requests: [] }; // backfilling: nothing to prune yet
    const tip = this.#bestTip ? this.#blocks.get(this.#bestTip)!.height : Number.POSITIVE_INFINITY;
    for (const b of [...this.#blocks.values()])
      if (b.height <= this.#finalized && this.#best.get(b.height) !== b.hash && b.height < tip) this.#drop(b);
    if (this.#blocks.size > this.#opts.maxBlocks) this.#prune();
    return { actions: [], requests: [] };
  }

  /** Blocks between `hash` and the best chain (0 = on it); null when unknown or not connected. */
  distanceFromBest(hash: string): number | null {
    let b = this.#blocks.get(hash);
    let n = 0;
    while (b?.attached) {
      if (this.#best.get(b.height) === b.hash) return n;
      n++;
      b = this.#blocks.get(b.parent);
    }
    return null;
  }

  /** Side forks: leaves off the best chain, with their fork point and length. */
  sideForks(): { tip: Header; forkPoint: Header; length: number }[] {
    const out: { tip: Header; forkPoint: Header; length: number }[] = [];
    for (const b of this.#blocks.values()) {
      if (!b.attached || this.#best.get(b.height) === b.hash) continue;
      if ([...(this.#children.get(b.hash) ?? [])].some((c) => this.#blocks.get(c)?.attached)) continue;
      const fp = this.#forkPoint(b);
      if (fp) out.push({ tip: this.#header(b), forkPoint: this.#header(fp), length: b.height - fp.height });
    }
    return out.sort((x, y) => y.length - x.length);
  }

  snapshot(): ForkState {
    const index = new Map<string, number>();
    for (const hash of this.#blocks.keys()) index.set(hash, index.size);
    return {
      version: 1,
      blocks: [...this.#blocks.values()].map((b) => [
        b.hash,
        index.get(b.parent) ?? b.parent,
        b.height,
        b.attached ? 1 : 0,
        b.checked ? 1 : 0,
        b.depth,
      ]),
      bestTip: this.#bestTip,
      candidate: this.#candidate,
      finalized: this.#finalized,
    };
  }

  #restore(s: ForkState): void {
    for (const [hash, ref, height, attached, checked, depth] of s.blocks) {
      const parent = typeof ref === 'number' ? s.blocks[ref]![0] : ref;
      this.#blocks.set(hash, { hash, parent, height, attached: !!attached, checked: !!checked, depth });
      this.#link(parent, hash);
      if (attached) this.#anyAttached = true;
    }
    this.#finalized = s.finalized;
    this.#candidate = s.candidate;
    this.#bestTip = s.bestTip && this.#blocks.has(s.bestTip) ? s.bestTip : null;
    for (let b = this.#bestTip ? this.#blocks.get(this.#bestTip) : undefined; b?.attached; ) {
      this.#best.set(b.height, b.hash);
      b = this.#blocks.get(b.parent);
    }
  }

  #link(parent: string, hash: string): void {
    const kids = this.#children.get(parent);
    if (kids) kids.add(hash);
    else this.#children.set(parent, new Set([hash]));
  }

  #header(b: Header): Header {
    return { hash: b.hash, parent: b.parent, height: b.height };
  }

  #lowestChildDepth(hash: string): number | undefined {
    let depth: number | undefined;
    for (const c of this.#children.get(hash) ?? []) {
      const k = this.#blocks.get(c);
      if (k && !k.attached) depth = depth === undefined ? k.depth : Math.min(depth, k.depth);
    }
    return depth;
  }

  /** Attaches `b` if its parent is attached (or it is the very first block), then its waiting descendants. */
  #connect(b: Tracked, out: ForkOutput): void {
    const parent = this.#blocks.get(b.parent);
    const first = !this.#anyAttached;
    if (parent?.attached || (first && b.hash === this.#candidate && this.#opts.backfill === 0)) {
      this.#attach(b, out);
      return;
    }
    if (parent) return; // waits for its parent to attach
    // Before anything is tracked, only the first best block's chain is backfilled (fetched blocks have depth > 0).
    if (first && ((b.hash !== this.#candidate && b.depth === 0) || this.#opts.backfill === 0)) return;
    this.#requestParent(b, out);
  }

  #requestParent(b: Tracked, out: ForkOutput): void {
    const floor = this.#floor();
    if (b.height - 1 < floor || b.depth + 1 > this.#gapLimit()) return;
    if (this.#requested.has(b.parent)) return;
    this.#requested.add(b.parent);
    out.requests.push({ hash: b.parent, height: b.height - 1 });
  }

  /** The lowest attached height: nothing below it can ever connect. Cached (a gap fill asks it per block). */
  #floor(): number {
    if (this.#floorCache === null) {
      let floor = Number.POSITIVE_INFINITY;
      for (const b of this.#blocks.values()) if (b.attached && b.height < floor) floor = b.height;
      this.#floorCache = floor === Number.POSITIVE_INFINITY ? 0 : floor;
    }
    return this.#floorCache;
  }

  #attach(root: Tracked, out: ForkOutput): void {
    this.#anyAttached = true;
    const stack = [root];
    const leaves: Tracked[] = [];
    while (stack.length) {
      const b = stack.pop()!;
      if (b.attached) continue;
      b.attached = true;
      b.depth = 0;
      this.#floorCache = null;
      let leaf = true;
      for (const c of this.#children.get(b.hash) ?? []) {
        const k = this.#blocks.get(c);
        if (k && !k.attached) {
          stack.push(k);
          leaf = false;
        }
      }
      if (leaf) leaves.push(b);
    }
    for (const b of leaves.sort((x, y) => x.height - y.height || (x.hash < y.hash ? -1 : 1)))
      this.#maybeSideFork(b, out);
  }

  #maybeSideFork(b: Tracked, out: ForkOutput): void {
    if (!this.#bestTip || b.hash === this.#candidate || this.#best.get(b.height) === b.hash) return;
    if ([...(this.#children.get(b.hash) ?? [])].some((c) => this.#blocks.get(c)?.attached)) return;
    const fp = this.#forkPoint(b);
    if (!fp || fp.hash === this.#bestTip) return; // extends the best tip: not a side fork (yet)
    out.actions.push({
      kind: 'side_fork',
      tip: this.#header(b),
      forkPoint: this.#header(fp),
      length: b.height - fp.height,
    });
  }

  #forkPoint(b: Tracked): Tracked | null {
    let x: Tracked | undefined = b;
    while (x?.attached) {
      if (this.#best.get(x.height) === x.hash) return x;
      x = this.#blocks.get(x.parent);
    }
    return null;
  }

  /** Moves the best tip to the candidate once its chain is attached (or declared a disconnected fork). */
  #advance(out: ForkOutput): void {
    const cand = this.#candidate ? this.#blocks.get(this.#candidate) : undefined;
    if (!cand) return;
    if (!cand.attached) {
      if (!this.#stuck(cand)) return;
      let base = cand;
      for (let p = this.#blocks.get(base.parent); p && !p.attached; p = this.#blocks.get(p.parent)) base = p;
      this.#attach(base, out); // a disconnected new fork: its lowest known block becomes a root
    }
    this.#candidate = null;
    if (cand.hash === this.#bestTip) return;
    const old = this.#bestTip ? this.#blocks.get(this.#bestTip)! : null;
    const newPath: Tracked[] = [];
    let x: Tracked | undefined = cand;
    while (x && this.#best.get(x.height) !== x.hash) {
      newPath.push(x);
      x = x.attached ? this.#blocks.get(x.parent) : undefined;
    }
    newPath.reverse();
    const ancestor = x;
    if (old && ancestor && ancestor.hash !== old.hash) {
      const retracted: Tracked[] = [];
      for (let h = old.height; h > ancestor.height; h--) {
        const r = this.#best.get(h);
        if (r) retracted.push(this.#blocks.get(r)!);
      }
      out.actions.push({
        kind: 'reorg',
        oldTip: this.#header(old),
        newTip: this.#header(cand),
        ancestor: this.#header(ancestor),
        depth: old.height - ancestor.height,
        newDepth: cand.height - ancestor.height,
        backwards: cand.height < old.height,
        retracted: retracted.reverse().map((r) => this.#header(r)),
      });
    } else if (old && !ancestor) {
      out.actions.push({ kind: 'jump', from: this.#header(old), to: this.#header(cand) });
    }
    const keepBelow = ancestor ? ancestor.height : Number.NEGATIVE_INFINITY;
    for (const h of [...this.#best.keys()]) if (h > keepBelow) this.#best.delete(h);
    if (!ancestor) this.#best.clear();
    for (const p of newPath) this.#best.set(p.height, p.hash);
    this.#bestTip = cand.hash;
    for (const p of newPath) {
      if (p.checked) continue;
      p.checked = true;
      out.actions.push({ kind: 'check', block: this.#header(p), tip: p === cand });
    }
  }

  /** A detached best candidate whose chain can no longer be filled: beyond maxGap, below the floor, or the first. */
  #stuck(cand: Tracked): boolean {
    const m = this.#base;
    let base = m?.of === cand.hash && !m.base.attached && this.#blocks.has(m.base.hash) ? m.base : cand;
    for (let p = this.#blocks.get(base.parent); p && !p.attached; p = this.#blocks.get(p.parent)) base = p;
    this.#base = { of: cand.hash, base };
    if (this.#requested.has(base.parent)) return false;
    return base.depth + 1 > this.#gapLimit() || base.height - 1 < this.#floor();
  }

  /** Parents fetched at most below an announced block: maxGap, or the backfill before anything is tracked. */
  #gapLimit(): number {
    return this.#anyAttached ? this.#opts.maxGap : Math.min(this.#opts.backfill, this.#opts.maxGap);
  }

  /** Over maxBlocks: drops the lowest blocks (dead forks below finalized first), down to 95 % to prune in batches. */
  #prune(): void {
    const tip = this.#bestTip ? this.#blocks.get(this.#bestTip)! : null;
    const tipHeight = tip ? tip.height : Number.POSITIVE_INFINITY;
    const target = Math.floor(this.#opts.maxBlocks * 0.95);
    const rank = (b: Tracked) => (b.height <= this.#finalized && this.#best.get(b.height) !== b.hash ? 0 : 1);
    const order = [...this.#blocks.values()].sort((a, b) => rank(a) - rank(b) || a.height - b.height);
    for (const b of order) {
      if (this.#blocks.size <= target) break;
      if (b.height >= tipHeight) break;
      if (b.hash === this.#candidate) continue;
      this.#drop(b);
    }
  }

  #drop(b: Tracked): void {
    this.#blocks.delete(b.hash);
    this.#floorCache = null;
    this.#requested.delete(b.hash);
    const kids = this.#children.get(b.parent);
    kids?.delete(b.hash);
    if (kids && !kids.size) this.#children.delete(b.parent);
    if (this.#best.get(b.height) === b.hash) this.#best.delete(b.height);
  }
}
