import type { EventEnvelope } from '@tocsin/events';
import { alerterConfig } from '../services/alerter/src/config.ts';
import { evaluateEvent, RuleIndex } from '../services/alerter/src/lifecycle/evaluate.ts';
import { compileExpression } from '../services/alerter/src/rules/cel.ts';
import { loadRules } from '../services/alerter/src/rules/loadRules.ts';
import type { Scope } from '../services/alerter/src/rules/scope.ts';
import { SubscriptionIndex } from '../services/alerter/src/subscriptions/subscriptionIndex.ts';
import { compileExpression as compileV1 } from './baselines/expression-v1.ts';
import type { Benchmark, Figure } from './src/report.ts';
import { clientStatusData } from './src/workload.ts';

// Rule conditions: compile once, evaluate many. A three-clause condition in CEL (@marcbachmann/cel-js) against the
// language it replaced (bench/baselines/expression-v1.ts, kept only as this baseline) and a hand-written closure;
// then every default rule applied to a client_status event, as the alerter does per event.
const N = Number(process.env.BENCH_RULES_EVALUATIONS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_RULES_EVENTS ?? 200_000);
const SAMPLES = 1000;

const params = { ratio: 0.8 };
const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const scopes: Scope[] = Array.from({ length: SAMPLES }, (_, i) => ({
  event: { source: 'cosmos-ibc', type: 'client_status', chain_id: 'cosmoshub-4', instance: 'bench' },
  data: clientStatusData(i, 900_000 + i * 300) as unknown as Record<string, unknown>,
  params,
  vars: {},
}));

/** CPU ns per evaluation (user + system: less disturbed by other processes than wall time), best of three rounds. */
function nsPerEval(run: (s: Scope) => unknown): { ns: number; held: number } {
  let best = Number.POSITIVE_INFINITY;
  let held = 0;
  for (let round = 0; round < 3; round++) {
    held = 0;
    const t0 = cpuNs();
    for (let i = 0; i < N; i++) if (run(scopes[i % SAMPLES]!) === true) held++;
    best = Math.min(best, (cpuNs() - t0) / N);
  }
  return { ns: best, held };
}

function perEvent(): number {
  const { rules, params: ruleParams } = loadRules(alerterConfig.parse({}));
  const index = new RuleIndex(rules);
  // As in the alerter's steady state: no alert of these rules is active, so a test that does not hold stops there.
  const opts = { params: ruleParams, subscriptions: new SubscriptionIndex(), mayBeActive: () => false };
  const events: EventEnvelope[] = scopes.map((s, i) => ({
    id: `01JBENCH${String(i).padStart(18, '0')}`,
    source: 'cosmos-ibc',
    type: 'client_status',
    version: 1,
    chain_id: 'cosmoshub-4',
    instance: 'bench',
    observed_at: new Date(1_700_000_000_000 + i).toISOString(),
    dedup_key: `cosmoshub-4/07-tendermint-${i}`,
    data: s.data,
  }));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const t0 = cpuNs();
    for (let i = 0; i < EVENTS; i++) evaluateEvent(index, events[i % SAMPLES]!, opts);
    best = Math.min(best, (cpuNs() - t0) / EVENTS);
  }
  return best;
}

const bench: Benchmark = {
  name: 'rules',
  issue: 16,
  async run() {
    const three = "status == 'Active' && elapsed_ratio >= params.ratio && remaining_s < hours(48)";
    const cel = compileExpression(three);
    // The same condition always through cel-js's evaluator: `true ? (…) : false` has the same value, but is not a
    // shape the alerter decides without the evaluator (src/rules/celShortcut.ts).
    const evaluator = compileExpression(`true ? (${three}) : false`);
    const v1 = compileV1("status == 'Active' and elapsed_ratio >= params.ratio and remaining_s < 48h");
    const closure = (s: Scope) =>
      s.data.status === 'Active' &&
      (s.data.elapsed_ratio as number) >= (s.params.ratio as number) &&
      (s.data.remaining_s as number) < 172_800;
    const c = nsPerEval(cel.run);
    const e = nsPerEval(evaluator.run);
    const o = nsPerEval(v1.run);
    const h = nsPerEval(closure);
    if (c.held !== o.held || c.held !== h.held || c.held !== e.held)
      throw new Error(`they disagree: cel ${c.held}, evaluator ${e.held}, v1 ${o.held}, closure ${h.held}`);
    const event = perEvent();
    const figures: Figure[] = [
      {
        name: 'three-clause condition, CEL (compiled once), per evaluation',
        value: c.ns,
        unit: 'ns',
        baseline: { name: 'the previous expression language', value: o.ns },
        ratio: c.ns / o.ns,
        note: 'lower is better; ratio = CEL / previous',
      },
      {
        name: "three-clause condition, CEL, cel-js's evaluator every time, per evaluation",
        value: e.ns,
        unit: 'ns',
        baseline: { name: 'the previous expression language', value: o.ns },
        ratio: e.ns / o.ns,
        note: 'lower is better; the figure above decides the clauses it can without the evaluator (celShortcut.ts)',
      },
      {
        name: 'three-clause condition, CEL, against a hand-written closure',
        value: c.ns,
        unit: 'ns',
        baseline: { name: 'plain closure', value: h.ns },
        ratio: c.ns / h.ns,
        note: 'lower is better',
      },
      {
        name: 'every default rule applied to one client_status event (evaluateEvent)',
        value: event / 1000,
        unit: 'µs',
        note: 'the alerter spends this per event on rules; compare with its CPU per event in the alerter benchmark',
      },
    ];
    return { figures, environment: { evaluations: N, events: EVENTS } };
  },
};
export default bench;
