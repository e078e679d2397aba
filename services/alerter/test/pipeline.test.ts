import { type EventEnvelope, newId } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { type GroupRow, type PendingRow, planFlush } from '../src/grouping/plan.ts';
import { outrankedBy } from '../src/inhibit/priority.ts';
import { createBatcher } from '../src/intake/batcher.ts';
import { Decider } from '../src/lifecycle/decide.ts';
import { evaluateEvent, RuleIndex } from '../src/lifecycle/evaluate.ts';
import type { StateRow } from '../src/lifecycle/types.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { matchesAll, silencedBy } from '../src/silences/match.ts';
import { SubscriptionIndex } from '../src/subscriptions/subscriptionIndex.ts';

/** The pure stages, without NATS or PostgreSQL. */
const T = Date.parse('2026-11-20T12:00:00Z');

function engine(rules: unknown[]) {
  const set = loadRules(alerterConfig.parse({ rules }), { defaultsDir: null });
  const index = new RuleIndex(set.rules);
  const state = new Map<string, StateRow>();
  const subscriptions = new SubscriptionIndex();
  return {
    run(events: EventEnvelope[], now: number) {
      const d = new Decider({ now, get: (fp) => state.get(fp), subscriptions });
      for (const e of events)
        for (const i of evaluateEvent(index, e, { params: set.params, subscriptions })) d.event(i);
      const plan = d.plan();
      for (const r of plan.rows.values()) state.set(r.fingerprint, r);
      return plan.effects.map((e) => e.kind);
    },
    timers(now: number) {
      const d = new Decider({ now, get: (fp) => state.get(fp), subscriptions });
      d.timers(index, [...state.values()]);
      const plan = d.plan();
      for (const r of plan.rows.values()) state.set(r.fingerprint, r);
      return plan.effects.map((e) => e.kind);
    },
    state,
  };
}
const event = (data: Record<string, unknown>, at: number, o: Partial<EventEnvelope> = {}): EventEnvelope => ({
  id: newId(at),
  source: 's',
  type: 't',
  version: 1,
  chain_id: 'c',
  instance: 'i',
  observed_at: new Date(at).toISOString(),
  dedup_key: newId(at),
  data,
  ...o,
});
const rule = (extra: Record<string, unknown>) => ({
  id: 'r',
  match: { source: 's', type: 't' },
  severity: 'warning',
  labels: { k: '{{ k }}' },
  summary: 'x',
  ...extra,
});

describe('decisions', () => {
  it('threshold: open, stay, resolve; an older fact never moves the state back', () => {
    const e = engine([rule({ condition: { threshold: 'v > 10' } })]);
    const old = event({ k: 'a', v: 50 }, T);
    expect(e.run([old], T)).toEqual(['open']);
    expect(e.run([event({ k: 'a', v: 60 }, T + 1000)], T + 1000)).toEqual([]);
    expect(e.run([event({ k: 'a', v: 1 }, T + 2000)], T + 2000)).toEqual(['resolve']);
    expect(e.run([old], T + 3000)).toEqual([]); // redelivered
    expect(e.run([event({ k: 'a', v: 1 }, T + 500)], T + 3000)).toEqual([]); // stale
    // An inactive fact about a fingerprint never seen active writes nothing.
    const before = e.state.size;
    expect(e.run([event({ k: 'b', v: 1 }, T)], T)).toEqual([]);
    expect(e.state.size).toBe(before);
  });

  it('for: pending, then firing by the timer; cleared if it stops holding first', () => {
    const e = engine([rule({ condition: { threshold: 'v > 10' }, for: '5m' })]);
    expect(e.run([event({ k: 'a', v: 50 }, T), event({ k: 'b', v: 50 }, T)], T)).toEqual(['open', 'open']);
    expect(e.run([event({ k: 'b', v: 1 }, T + 60_000)], T + 60_000)).toEqual(['clear']);
    expect(e.timers(T + 299_999)).toEqual([]);
    expect(e.timers(T + 300_000)).toEqual(['fire']);
  });

  it('count: slides out of the window', () => {
    const e = engine([rule({ condition: { count: { window: '10m', min: 2 } } })]);
    expect(e.run([event({ k: 'a' }, T)], T)).toEqual([]);
    expect(e.run([event({ k: 'a' }, T + 60_000)], T + 60_000)).toEqual(['open']);
    expect(e.timers(T + 10 * 60_000)).toEqual([]);
    expect(e.timers(T + 11 * 60_000 + 20_000)).toEqual(['resolve']);
  });

  it('steps: at the threshold, then each new multiple', () => {
    const e = engine([rule({ condition: { threshold: 'd >= 6' }, value: 'd', steps: { every: 10 } })]);
    const seen = [5, 6, 9, 10, 11, 19, 20, 35].map((d, i) =>
      e.run([event({ k: 'f', d }, T + i)], T + i).join(),
    );
    expect(seen).toEqual(['', 'open', '', 'step', '', '', 'step', 'step']);
  });

  it('resolve_after: a one-shot fact resolves when nothing confirms it', () => {
    const e = engine([rule({ condition: { threshold: 'true' }, resolve_after: '1h' })]);
    e.run([event({ k: 'x' }, T)], T);
    expect(e.timers(T + 3_599_000)).toEqual([]);
    expect(e.timers(T + 3_600_000)).toEqual(['resolve']);
  });

  it('a rule that was removed resolves its alerts', () => {
    const e = engine([rule({ condition: { threshold: 'true' } })]);
    e.run([event({ k: 'x' }, T)], T);
    const other = engine([]);
    for (const [k, v] of e.state) other.state.set(k, v);
    expect(other.timers(T + 1)).toEqual(['resolve']);
  });
});

const group = (o: Partial<GroupRow> = {}): GroupRow => ({
  group_key: 'g',
  source: 's',
  labels: {},
  group_wait_ms: 30_000,
  group_interval_ms: 300_000,
  last_flush_at: null,
  ...o,
});
let nextId = 1;
const pending = (episode: string, transition: PendingRow['transition'], created: number): PendingRow => ({
  id: nextId++,
  group_key: 'g',
  episode_id: episode,
  transition,
  created_at: created,
  held: false,
  detail: {},
});
const facts = (
  ids: string[],
  o: { object?: string; priority?: number; labels?: Record<string, string> } = {},
) =>
  new Map(
    ids.map((id, i) => [
      id,
      {
        episode_id: id,
        labels: o.labels ?? { chain_id: 'c' },
        object_key: o.object ?? null,
        priority: o.priority ?? null,
        started_at: T + i,
      },
    ]),
  );

describe('grouping', () => {
  it('waits group_wait for a quiet group, then at most once per group_interval; immediate kinds go at once', () => {
    const entries = [
      pending('e1', 'firing', T),
      pending('e2', 'firing', T + 5000),
      pending('e3', 'acknowledged', T),
    ];
    const base = {
      entries,
      groups: new Map([['g', group()]]),
      episodes: facts(['e1', 'e2', 'e3']),
      silences: [],
      rivals: [],
      priorityWaitMs: 0,
    };
    let plan = planFlush({ ...base, now: T + 29_999 });
    expect(plan.notifications.map((n) => `${n.transition}:${n.entries.length}`)).toEqual(['acknowledged:1']);
    plan = planFlush({ ...base, now: T + 30_000 });
    expect(plan.notifications.map((n) => `${n.transition}:${n.entries.length}`)).toEqual([
      'acknowledged:1',
      'firing:2',
    ]);
    expect(plan.flushed).toEqual(['g']);
    const after = {
      ...base,
      entries: [pending('e4', 'firing', T + 60_000), pending('e1', 'resolved', T + 60_000)],
    };
    const flushed = new Map([['g', group({ last_flush_at: T + 30_000 })]]);
    expect(
      planFlush({ ...after, groups: flushed, episodes: facts(['e1', 'e4']), now: T + 329_999 }).notifications,
    ).toEqual([]);
    plan = planFlush({ ...after, groups: flushed, episodes: facts(['e1', 'e4']), now: T + 330_000 });
    expect(plan.notifications.map((n) => n.transition)).toEqual(['resolved', 'firing']);
  });

  it('holds silenced transitions and suppresses outranked ones', () => {
    const silences = [
      {
        id: 's1',
        matchers: [{ name: 'chain_id', op: '=' as const, value: 'c' }],
        starts_at: T,
        ends_at: T + 60_000,
      },
    ];
    const plan = planFlush({
      now: T + 1000,
      entries: [pending('e1', 'firing', T)],
      groups: new Map([['g', group({ group_wait_ms: 0 })]]),
      episodes: facts(['e1']),
      silences,
      rivals: [],
      priorityWaitMs: 0,
    });
    expect(plan.hold.map((h) => h.silences)).toEqual([['s1']]);
    expect(plan.notifications).toEqual([]);
    const low = pending('low', 'firing', T);
    const p2 = planFlush({
      now: T + 1000,
      entries: [low],
      groups: new Map([['g', group({ group_wait_ms: 0 })]]),
      episodes: facts(['low'], { object: 'tx1', priority: 10 }),
      silences: [],
      rivals: [{ episode_id: 'high', object_key: 'tx1', priority: 50, started_at: T + 5 }],
      priorityWaitMs: 0,
    });
    expect(p2.suppress).toEqual([{ episode_id: 'low', by: 'high' }]);
  });

  it('priority ties go to the earlier alert', () => {
    const me = { episode_id: 'b', object_key: 'o', priority: 1, started_at: T + 1 };
    expect(outrankedBy(me, [{ episode_id: 'a', object_key: 'o', priority: 1, started_at: T }])).toBe('a');
    expect(
      outrankedBy(me, [{ episode_id: 'c', object_key: 'o', priority: 1, started_at: T + 2 }]),
    ).toBeNull();
    expect(
      outrankedBy(me, [{ episode_id: 'd', object_key: 'other', priority: 9, started_at: T }]),
    ).toBeNull();
  });
});

describe('silence matchers', () => {
  it('are anchored and all must hold', () => {
    expect(matchesAll([{ name: 'chain_id', op: '=~', value: 'cosmos.*' }], { chain_id: 'cosmoshub-4' })).toBe(
      true,
    );
    expect(matchesAll([{ name: 'chain_id', op: '=~', value: 'hub' }], { chain_id: 'cosmoshub-4' })).toBe(
      false,
    );
    expect(matchesAll([{ name: 'missing', op: '=', value: '' }], {})).toBe(true);
    expect(
      silencedBy(
        [{ id: 'x', matchers: [{ name: 'a', op: '!=', value: '1' }], starts_at: T, ends_at: T + 10 }],
        { a: '2' },
        T + 10,
      ),
    ).toEqual([]);
  });
});

describe('batcher', () => {
  it('cuts what arrived together into one batch; a failed batch is applied item by item, so only the bad one fails', async () => {
    const seen: number[][] = [];
    const b = createBatcher<number>(async (items) => {
      seen.push(items);
      if (items.includes(13)) throw new Error('boom');
    }, 3);
    const results = await Promise.allSettled([1, 2, 3, 4, 13].map((n) => b.submit(n)));
    expect(seen).toEqual([[1, 2, 3], [4, 13], [4], [13]]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
    ]);
    expect((results[4] as PromiseRejectedResult).reason.message).toBe('boom');
    await b.idle();
  });

  it('an outage (isolate says no) fails the whole batch without retrying each item', async () => {
    const seen: number[][] = [];
    const b = createBatcher<number>(
      async (items) => {
        seen.push(items);
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
      3,
      { isolate: (err) => (err as { code?: string }).code !== 'ECONNREFUSED' },
    );
    const results = await Promise.allSettled([1, 2].map((n) => b.submit(n)));
    expect(seen).toEqual([[1, 2]]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await b.idle();
  });

  it('a staged batch lets the next one be processed before its outcome; items resolve or fail with their own batch', async () => {
    const seen: number[][] = [];
    const outcomes: { items: number[]; settle(ok: boolean): void }[] = [];
    const b = createBatcher<number>(async (items) => {
      seen.push(items);
      let settle!: (ok: boolean) => void;
      const done = new Promise<void>((res, rej) => {
        settle = (ok) => (ok ? res() : rej(new Error('commit failed')));
      });
      outcomes.push({ items, settle });
      return { done };
    }, 2);
    const first = [1, 2].map((n) => b.submit(n));
    await new Promise((r) => setImmediate(r));
    // The first batch is staged, not settled: the next one is cut and processed meanwhile.
    const second = [3].map((n) => b.submit(n));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([[1, 2], [3]]);
    outcomes[1]!.settle(true);
    await second[0];
    // The first batch's commit fails: its items are applied one by one (each staged and settled in turn).
    outcomes[0]!.settle(false);
    await new Promise((r) => setImmediate(r));
    outcomes[2]!.settle(true);
    await new Promise((r) => setImmediate(r));
    outcomes[3]!.settle(false);
    const results = await Promise.allSettled(first);
    expect(seen).toEqual([[1, 2], [3], [1], [2]]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    await b.idle();
  });
});
