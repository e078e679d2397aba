import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ForkAction,
  ForkMonitor,
  type ForkOutput,
  type ForkState,
  type Header,
} from '../src/fork/forkMonitor.ts';

const h = (name: string, parent: string, height: number): Header => ({ hash: name, parent, height });

/** Feeds the monitor and answers its gap-fill requests from `store` at once (depth-first, like a node would). */
function feed(m: ForkMonitor, store: Map<string, Header>, out: ForkOutput, log: ForkAction[]): void {
  log.push(...out.actions);
  for (const r of out.requests) {
    const b = store.get(r.hash);
    if (b) feed(m, store, m.add(b, { fetched: true }), log);
    else m.requestFailed(r.hash);
  }
}

const checked = (log: ForkAction[]) => log.flatMap((a) => (a.kind === 'check' ? [a.block.hash] : []));
const reorgs = (log: ForkAction[]) => log.filter((a) => a.kind === 'reorg');

describe('fork monitor', () => {
  it('the original example: A–F–C1–D1, then C2–D2–E2 → checked A F C1 D1 C2 D2 E2, one reorg D1 → E2', () => {
    const A = h('A', 'G', 1);
    const F = h('F', 'A', 2);
    const C1 = h('C1', 'F', 3);
    const D1 = h('D1', 'C1', 4);
    const C2 = h('C2', 'F', 3);
    const D2 = h('D2', 'C2', 4);
    const E2 = h('E2', 'D2', 5);
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    const store = new Map<string, Header>();
    for (const b of [A, F, C1, D1]) feed(m, store, m.add(b, { best: true }), log);
    // The second fork reaches the all-heads subscription first; the primary then names E2 its best block.
    for (const b of [C2, D2]) feed(m, store, m.add(b), log);
    feed(m, store, m.add(E2, { best: true }), log);
    expect(checked(log)).toEqual(['A', 'F', 'C1', 'D1', 'C2', 'D2', 'E2']);
    const r = reorgs(log);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({
      kind: 'reorg',
      oldTip: { hash: 'D1' },
      newTip: { hash: 'E2' },
      ancestor: { hash: 'F' },
      depth: 2,
      newDepth: 3,
      backwards: false,
    });
    expect(r[0]!.kind === 'reorg' && r[0]!.retracted.map((x) => x.hash)).toEqual(['C1', 'D1']);
    const sides = log.filter((a) => a.kind === 'side_fork');
    expect(sides.map((s) => s.kind === 'side_fork' && [s.tip.hash, s.length])).toEqual([
      ['C2', 1],
      ['D2', 2],
    ]);
  });

  it('the example in any arrival order, E2 announced only', () => {
    const blocks = [h('A', 'G', 1), h('F', 'A', 2), h('C1', 'F', 3), h('D1', 'C1', 4)];
    const fork = [h('C2', 'F', 3), h('D2', 'C2', 4), h('E2', 'D2', 5)];
    const store = new Map([...blocks, ...fork].map((b) => [b.hash, b]));
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    feed(m, store, m.add(blocks[0]!, { best: true }), log);
    feed(m, store, m.add(blocks[3]!, { best: true }), log); // F and C1 are gap-filled
    feed(m, store, m.add(fork[2]!, { best: true }), log); // D2 and C2 are gap-filled
    expect(checked(log)).toEqual(['A', 'F', 'C1', 'D1', 'C2', 'D2', 'E2']);
    expect(reorgs(log)).toHaveLength(1);
  });

  it('gap fill: a skipped range is fetched and every block checked once, in order', () => {
    const chain = Array.from({ length: 50 }, (_, i) => h(`b${i}`, i ? `b${i - 1}` : 'g', i));
    const store = new Map(chain.map((b) => [b.hash, b]));
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    feed(m, store, m.add(chain[0]!, { best: true }), log);
    const out = m.add(chain[49]!, { best: true });
    expect(out.requests).toEqual([{ hash: 'b48', height: 48 }]);
    feed(m, store, out, log);
    expect(checked(log)).toEqual(chain.map((b) => b.hash));
  });

  it('beyond maxGap the announced fork is disconnected: it becomes best without a reorg', () => {
    const chain = Array.from({ length: 30 }, (_, i) => h(`b${i}`, i ? `b${i - 1}` : 'g', i));
    const store = new Map(chain.map((b) => [b.hash, b]));
    const m = new ForkMonitor({ maxGap: 5 });
    const log: ForkAction[] = [];
    feed(m, store, m.add(chain[0]!, { best: true }), log);
    feed(m, store, m.add(chain[29]!, { best: true }), log);
    expect(checked(log)).toEqual(['b0', 'b24', 'b25', 'b26', 'b27', 'b28', 'b29']);
    expect(log.filter((a) => a.kind === 'jump')).toHaveLength(1);
    expect(reorgs(log)).toHaveLength(0);
  });

  it('backfill: at the first start, blocks below the first best block are fetched and checked too', () => {
    const chain = Array.from({ length: 20 }, (_, i) => h(`b${i}`, i ? `b${i - 1}` : 'g', i));
    const store = new Map(chain.map((b) => [b.hash, b]));
    const m = new ForkMonitor({ backfill: 5 });
    const log: ForkAction[] = [];
    // The finalized head (below the backfill) comes while the parents are being fetched.
    const out = m.add(chain[19]!, { best: true });
    m.finalize(16);
    feed(m, store, out, log);
    expect(checked(log)).toEqual(['b14', 'b15', 'b16', 'b17', 'b18', 'b19']);
    // Near genesis the backfill stops at block 0.
    const m2 = new ForkMonitor({ backfill: 50 });
    const log2: ForkAction[] = [];
    feed(m2, store, m2.add(chain[3]!, { best: true }), log2);
    expect(checked(log2)).toEqual(['b0', 'b1', 'b2', 'b3']);
  });

  it('a backwards reorg to a lower fork is reported as backwards', () => {
    const main = Array.from({ length: 8 }, (_, i) => h(`m${i}`, i ? `m${i - 1}` : 'g', i));
    const side = [h('s3', 'm2', 3), h('s4', 's3', 4)];
    const store = new Map([...main, ...side].map((b) => [b.hash, b]));
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    for (const b of main) feed(m, store, m.add(b, { best: true }), log);
    feed(m, store, m.add(side[1]!, { best: true }), log);
    const r = reorgs(log);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ oldTip: { hash: 'm7' }, newTip: { hash: 's4' }, depth: 5, backwards: true });
    expect(checked(log).slice(-2)).toEqual(['s3', 's4']);
    expect(m.distanceFromBest('m7')).toBe(5);
    expect(m.distanceFromBest('s4')).toBe(0);
  });

  it('after a reorg back, blocks already checked are not checked again', () => {
    const a = [h('a1', 'g', 1), h('a2', 'a1', 2), h('a3', 'a2', 3)];
    const b = [h('b2', 'a1', 2), h('b3', 'b2', 3), h('b4', 'b3', 4)];
    const store = new Map([...a, ...b].map((x) => [x.hash, x]));
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    for (const x of a) feed(m, store, m.add(x, { best: true }), log);
    feed(m, store, m.add(b[2]!, { best: true }), log);
    feed(m, store, m.add(h('a4', 'a3', 4), { best: true }), log);
    feed(m, store, m.add(h('a5', 'a4', 5), { best: true }), log);
    expect(checked(log)).toEqual(['a1', 'a2', 'a3', 'b2', 'b3', 'b4', 'a4', 'a5']);
    expect(reorgs(log)).toHaveLength(2);
  });

  it('keeps at most maxBlocks, pruning below finalized first; a snapshot restores the same state', () => {
    const m = new ForkMonitor({ maxBlocks: 100 });
    const store = new Map<string, Header>();
    const log: ForkAction[] = [];
    for (let i = 0; i < 300; i++) {
      feed(m, store, m.add(h(`b${i}`, i ? `b${i - 1}` : 'g', i), { best: true }), log);
      if (i % 7 === 3) feed(m, store, m.add(h(`s${i}`, `b${i - 1}`, i)), log);
      if (i > 10) m.finalize(i - 10);
      expect(m.size).toBeLessThanOrEqual(100);
    }
    const again = new ForkMonitor({ maxBlocks: 100 }, JSON.parse(JSON.stringify(m.snapshot())));
    expect(again.bestTip).toEqual(m.bestTip);
    const out = again.add(h('b300', 'b299', 300), { best: true });
    expect(checked(out.actions)).toEqual(['b300']);
    // A block the first monitor checked is not checked again after the restore.
    expect(checked(again.add(h('b299', 'b298', 299), { best: true }).actions)).toEqual([]);
  });

  it('a snapshot names a tracked parent by its entry (each hash saved once); a state with parent hashes restores alike', () => {
    const m = new ForkMonitor();
    const store = new Map<string, Header>();
    const log: ForkAction[] = [];
    for (let i = 0; i < 20; i++)
      feed(m, store, m.add(h(`b${i}`, i ? `b${i - 1}` : 'g', i), { best: true }), log);
    feed(m, store, m.add(h('s5', 'b4', 5)), log);
    const snap = m.snapshot();
    const saved = JSON.stringify(snap);
    const blocks = JSON.stringify(snap.blocks);
    for (let i = 0; i < 20; i++) expect(blocks.split(`"b${i}"`)).toHaveLength(2);
    // The root's parent is not tracked: kept as a hash.
    expect(snap.blocks.find((b) => b[0] === 'b0')![1]).toBe('g');
    const withHashes = {
      ...snap,
      blocks: snap.blocks.map(
        ([hash, ref, ...rest]) =>
          [hash, typeof ref === 'number' ? snap.blocks[ref]![0] : ref, ...rest] as const,
      ),
    } as unknown as ForkState;
    for (const state of [JSON.parse(saved) as ForkState, withHashes]) {
      const again = new ForkMonitor({}, state);
      expect(again.bestTip).toEqual(m.bestTip);
      expect(again.get('s5')).toEqual({ hash: 's5', parent: 'b4', height: 5 });
      expect(again.onBestChain('b4')).toBe(true);
      expect(checked(again.add(h('b20', 'b19', 20), { best: true }).actions)).toEqual(['b20']);
    }
  });

  it('a failed gap-fill request is asked again by retry(), and nothing is checked twice', () => {
    const chain = Array.from({ length: 10 }, (_, i) => h(`b${i}`, i ? `b${i - 1}` : 'g', i));
    const store = new Map(chain.map((b) => [b.hash, b]));
    const m = new ForkMonitor();
    const log: ForkAction[] = [];
    feed(m, store, m.add(chain[0]!, { best: true }), log);
    const out = m.add(chain[9]!, { best: true });
    // The node drops while b8..b5 are being fetched: b8, b7 arrive, the request for b6 fails.
    log.push(...m.add(chain[8]!, { fetched: true }).actions);
    log.push(...m.add(chain[7]!, { fetched: true }).actions);
    m.requestFailed('b6');
    expect(out.requests).toEqual([{ hash: 'b8', height: 8 }]);
    const again = m.retry();
    expect(again.requests).toEqual([{ hash: 'b6', height: 6 }]);
    feed(m, store, again, log);
    feed(m, store, m.add(chain[9]!, { best: true }), log);
    expect(checked(log)).toEqual(chain.map((b) => b.hash));
  });

  it('property: whatever the arrival order, each best-chain block is checked exactly once, in chain order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 6 })), { maxLength: 6 }),
        fc.infiniteStream(fc.nat()),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        (length, forks, order, announce) => {
          const chain = Array.from({ length }, (_, i) => h(`m${i}`, i ? `m${i - 1}` : 'g', i));
          const side: Header[] = [];
          forks.forEach(([at, len], f) => {
            const base = at % length;
            for (let j = 1; j <= len; j++)
              side.push(h(`f${f}.${j}`, j === 1 ? `m${base}` : `f${f}.${j - 1}`, base + j));
          });
          const store = new Map([...chain, ...side].map((b) => [b.hash, b]));
          const m = new ForkMonitor();
          const log: ForkAction[] = [];
          feed(m, store, m.add(chain[0]!, { best: true }), log);
          // Everything else arrives shuffled; some main-chain blocks are announced as best in height order.
          const rest = [...chain.slice(1), ...side];
          const it = order[Symbol.iterator]();
          for (let i = rest.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [rest[i], rest[j]] = [rest[j]!, rest[i]!];
          }
          let bestSoFar = 0;
          for (const [i, b] of rest.entries()) {
            const isMain = b.hash.startsWith('m');
            const best = isMain && b.height > bestSoFar && announce[i % 60]!;
            if (best) bestSoFar = b.height;
            feed(m, store, m.add(b, { best }), log);
          }
          feed(m, store, m.add(chain.at(-1)!, { best: true }), log);
          const seen = checked(log);
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen).toEqual(chain.map((b) => b.hash));
          expect(m.bestTip?.hash).toBe(chain.at(-1)!.hash);
          expect(reorgs(log)).toHaveLength(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: with reorgs between forks, every block ever on the best chain is checked once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 12 }),
        (steps) => {
          const m = new ForkMonitor();
          const store = new Map<string, Header>();
          const log: ForkAction[] = [];
          const all: Header[] = [h('r', 'g', 0)];
          store.set('r', all[0]!);
          feed(m, store, m.add(all[0]!, { best: true }), log);
          const bests: string[] = ['r'];
          steps.forEach(([pick, len], s) => {
            let base = all[pick % all.length]!;
            for (let j = 1; j <= len; j++) {
              const b = h(`s${s}.${j}`, base.hash, base.height + 1);
              all.push(b);
              store.set(b.hash, b);
              base = b;
            }
            feed(m, store, m.add(base, { best: true }), log);
            bests.push(base.hash);
          });
          const seen = checked(log);
          expect(new Set(seen).size).toBe(seen.length);
          // Every ancestor of every announced best block was checked, and only those.
          const expected = new Set<string>();
          for (let x: Header | undefined = store.get(bests.at(-1)!); x; x = store.get(x.parent))
            expected.add(x.hash);
          for (const b of bests) for (let x = store.get(b); x; x = store.get(x.parent)) expected.add(x.hash);
          expect(new Set(seen)).toEqual(expected);
          expect(m.bestTip?.hash).toBe(bests.at(-1));
        },
      ),
      { numRuns: 300 },
    );
  });
});
