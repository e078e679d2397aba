import { ConfigError } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { applyFlap, type FlapConfig, settleFlaps } from '../src/flap/flap.ts';
import type { Effect, Plan, StateRow } from '../src/lifecycle/types.ts';
import { loadRules } from '../src/rules/loadRules.ts';

const load = (rules: unknown[]) => loadRules(alerterConfig.parse({ rules }));
function issuesOf(rules: unknown[]): string[] {
  try {
    load(rules);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected the rules to be refused');
}
const base = {
  match: { source: 'cosmos-ibc', type: 'client_status' },
  severity: 'warning',
  summary: 'x',
  condition: { threshold: 'elapsed_ratio > 0.5' },
};

describe('rule `flap`', () => {
  it('compiles window (a duration) and max_transitions; a shipped rule can be given one by id', () => {
    const { rules } = load([
      { ...base, id: 'flappy', flap: { window: '30m', max_transitions: 6 } },
      { id: 'ibc-client-expiring', flap: { window: 600, max_transitions: 2 } },
    ]);
    expect(rules.find((r) => r.id === 'flappy')!.flap).toEqual({ windowMs: 1_800_000, maxTransitions: 6 });
    expect(rules.find((r) => r.id === 'ibc-client-expiring')!.flap).toEqual({
      windowMs: 600_000, // a bare number is seconds, as in every rule duration
      maxTransitions: 2,
    });
    expect(rules.find((r) => r.id === 'ibc-client-expired')!.flap).toBeNull();
  });

  it('refuses unknown keys, a bad window or count, and flap on a notice rule, naming each', () => {
    const issues = issuesOf([
      { ...base, id: 'typo', flap: { window: '30m', max_transitions: 3, max_transition: 3 } },
      { ...base, id: 'bad-window', flap: { window: 'soon', max_transitions: 3 } },
      { ...base, id: 'bad-count', flap: { window: '5m', max_transitions: 0 } },
      { ...base, id: 'missing', flap: { window: '5m' } },
      { ...base, id: 'notice', mode: 'notice', flap: { window: '5m', max_transitions: 2 } },
    ]).join('\n');
    expect(issues).toMatch(/typo.*max_transition/);
    expect(issues).toMatch(/bad-window.*flap\.window/);
    expect(issues).toMatch(/bad-count.*flap\.max_transitions/);
    expect(issues).toMatch(/missing.*flap\.max_transitions/);
    expect(issues).toMatch(/notice.*flap: only an alert rule can flap/);
  });
});

const FP = 'fp1';
const CFG: FlapConfig = { windowMs: 600_000, maxTransitions: 2 };
function row(over: Partial<StateRow>): StateRow {
  return {
    fingerprint: FP,
    rule_id: 'r',
    status: 'ok',
    episode_id: null,
    since: null,
    band: null,
    last_value: null,
    step: null,
    fact_at: 0,
    fact_id: '',
    seen_at: null,
    buckets: null,
    labels: {},
    subscription_id: null,
    ...over,
  };
}
/** One flip decided at `now`: a resolve of `ep`, or a new firing episode `ep`. */
function flip(prev: StateRow | undefined, now: number, ep: string, to: 'firing' | 'resolved'): Plan {
  const effects: Effect[] =
    to === 'resolved'
      ? [{ kind: 'resolve', episode_id: ep, at: now, value: null, event_id: null, reason: 'x' }]
      : [
          {
            kind: 'open',
            episode: { episode_id: ep, fingerprint: FP, rule_id: 'r', state: 'firing' } as never,
          },
        ];
  const next = row({ ...prev, status: to === 'firing' ? 'firing' : 'ok', episode_id: ep });
  const plan: Plan = { rows: new Map([[FP, next]]), effects };
  applyFlap(plan, { now, before: () => prev, flapOf: () => CFG });
  return plan;
}
const flapsOf = (p: Plan) => p.effects.filter((e) => e.kind === 'flap');

describe('applyFlap and settleFlaps', () => {
  it('more than max_transitions changes in the window: held, one edit of the card per decision', () => {
    let state: StateRow | undefined;
    const steps: Plan[] = [];
    const seq: ['firing' | 'resolved', string][] = [
      ['firing', 'e1'],
      ['resolved', 'e1'],
      ['firing', 'e2'],
      ['resolved', 'e2'],
      ['firing', 'e3'],
    ];
    seq.forEach(([to, ep], i) => {
      const p = flip(state, 60_000 * (i + 1), ep, to);
      state = p.rows.get(FP);
      steps.push(p);
    });
    expect(flapsOf(steps[0]!)).toEqual([]);
    expect(flapsOf(steps[1]!)).toEqual([]);
    // The third change: flapping; the card is the episode announced before (e1), e2 is held.
    expect(flapsOf(steps[2]!)).toEqual([
      expect.objectContaining({
        episode_id: 'e1',
        changes: 3,
        state: 'firing',
        held: ['e2'],
        settled: false,
      }),
    ]);
    expect(flapsOf(steps[4]!)).toEqual([
      expect.objectContaining({ episode_id: 'e1', changes: 5, state: 'firing', held: ['e3'] }),
    ]);
    expect(state!.flap).toEqual({ flips: [60_000, 120_000, 180_000, 240_000, 300_000], card: 'e1' });

    // Not yet stable for the window; then stable: a settled edit and the history forgotten.
    expect(settleFlaps([state!], 300_000 + 599_999, () => CFG).effects).toEqual([]);
    const settled = settleFlaps([state!], 300_000 + 600_000, () => CFG);
    expect(settled.effects).toEqual([
      expect.objectContaining({ episode_id: 'e1', state: 'firing', settled: true, changes: 5 }),
    ]);
    expect(settled.rows[0]!.flap).toBeNull();
  });

  it('changes spread wider than the window never flap; a rule without flap is left alone', () => {
    let state: StateRow | undefined;
    for (let i = 0; i < 8; i++) {
      const p = flip(state, 400_000 * (i + 1), `e${i >> 1}`, i % 2 ? 'resolved' : 'firing');
      expect(flapsOf(p)).toEqual([]);
      state = p.rows.get(FP);
    }
    const plan: Plan = {
      rows: new Map([[FP, row({ status: 'firing', episode_id: 'x' })]]),
      effects: [
        {
          kind: 'open',
          episode: { episode_id: 'x', fingerprint: FP, rule_id: 'r', state: 'firing' } as never,
        },
      ],
    };
    applyFlap(plan, { now: 1, before: () => undefined, flapOf: () => null });
    expect(plan.effects).toHaveLength(1);
    expect(plan.rows.get(FP)!.flap).toBeUndefined();
  });
});
