import type { NodeConnection } from './connections.ts';
import type { Header } from './fork/forkMonitor.ts';

/** Heights asked at once (one `chain_getBlockHash([...])` call) when reading ahead below a requested parent. */
const WINDOW = 256;
/** Header requests in flight at most. */
const IN_FLIGHT = 64;

/**
 * Gap fill reads headers only (the check reads the whole block later), and reads ahead: the fork monitor asks for
 * one parent at a time, so a backfill of 10,000 blocks would be 10,000 round trips one after another. When a
 * requested block is on the node's canonical chain (its hash is the node's block hash at its height, asked in the
 * same call as the heights below it), the headers below it are fetched concurrently (a bounded window) and kept
 * until the monitor asks for them. What the monitor gets is always the header of the very hash it asked for; a
 * hash that is not read ahead (a side fork, another node's chain) is fetched on its own. Nothing is read ahead
 * below `floor` (what the monitor would not ask for).
 */
export class AncestorReader {
  readonly #ahead = new Map<string, Promise<Header>>();
  /** The lowest height read ahead so far on the current run (reading continues below it as the monitor nears it). */
  #lowest = Number.POSITIVE_INFINITY;
  #node: NodeConnection | null = null;
  #inFlight = 0;
  /** `chain_getBlockHash` calls not answered yet. */
  readonly #batches = new Set<Promise<void>>();
  readonly #waiting: (() => void)[] = [];

  /** The header of `req.hash` (height `req.height`), from `node`; reads ahead down to `floor`. */
  async header(node: NodeConnection, req: { hash: string; height: number }, floor: number): Promise<Header> {
    if (node !== this.#node) this.reset(node);
    // Heights whose hashes are still on their way: wait for them before calling it a miss.
    if (!this.#ahead.has(req.hash) && req.height >= this.#lowest && this.#batches.size)
      await Promise.all([...this.#batches]);
    const known = this.#ahead.get(req.hash);
    if (known) {
      this.#ahead.delete(req.hash);
      if (req.height - WINDOW / 2 <= this.#lowest && this.#lowest > floor)
        this.#readAhead(node, this.#lowest - 1, null, floor);
      return known;
    }
    // Not read ahead: fetch it, and find out (in the same round trip) whether it is on the node's chain.
    this.reset(node);
    const own = this.#limited(() => node.header(req.hash));
    this.#readAhead(node, req.height, req.hash, floor);
    return own;
  }

  /** Forgets what was read ahead (another node, or a chain that is not the node's). */
  reset(node: NodeConnection | null = null): void {
    this.#ahead.clear();
    this.#batches.clear();
    this.#lowest = Number.POSITIVE_INFINITY;
    this.#node = node;
  }

  /**
   * Heights `top` down to `top - WINDOW + 1` (not below floor): their hashes in one call, then their headers. With
   * `expect`, the hash at `top` must be it (the requested block is on this node's chain), and `top` itself is not
   * fetched again.
   */
  #readAhead(node: NodeConnection, top: number, expect: string | null, floor: number): void {
    const bottom = Math.max(floor, top - WINDOW + 1);
    if (bottom > top) return;
    const heights: number[] = [];
    for (let h = top; h >= bottom; h--) heights.push(h);
    this.#lowest = bottom;
    const run = this.#node;
    const batch: Promise<void> = node
      .send<(string | null)[]>('chain_getBlockHash', [heights])
      .then((hashes) => {
        if (run !== this.#node || !Array.isArray(hashes)) return;
        if (expect !== null && hashes[0] !== expect) {
          // Not on this node's chain: nothing to read ahead.
          this.#lowest = Number.POSITIVE_INFINITY;
          return;
        }
        for (let i = expect === null ? 0 : 1; i < hashes.length; i++) {
          const hash = hashes[i];
          if (typeof hash !== 'string' || this.#ahead.has(hash)) continue;
          const p = this.#limited(() => node.header(hash));
          // A failed read ahead is fetched again when asked for.
          p.catch(() => this.#ahead.delete(hash));
          this.#ahead.set(hash, p);
        }
      })
      .catch(() => {
        if (run === this.#node) this.#lowest = Number.POSITIVE_INFINITY;
      })
      .finally(() => this.#batches.delete(batch));
    this.#batches.add(batch);
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#inFlight >= IN_FLIGHT) await new Promise<void>((r) => this.#waiting.push(r));
    this.#inFlight++;
    try {
      return await fn();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }
}
