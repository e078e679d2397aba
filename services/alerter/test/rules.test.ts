import { ConfigError } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { compileExpression, ExpressionError } from '../src/rules/cel.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import type { Scope } from '../src/rules/scope.ts';
import { compileTemplate } from '../src/rules/template.ts';
import { clientStatus } from './fixtures.ts';

const scope = (data: Record<string, unknown>, vars: Record<string, unknown> = {}): Scope => ({
  event: { source: 'cosmos-ibc', type: 'client_status', chain_id: 'cosmoshub-4', instance: 'a' },
  data,
  params: { ratio: 0.8, off: null },
  vars,
});
const run = (src: string, data: Record<string, unknown> = {}, vars: Record<string, unknown> = {}) =>
  compileExpression(src, { vars: Object.keys(vars) }).run(scope(data, vars));

describe('expressions (CEL)', () => {
  it("evaluates the issue's example with bare field names, params and tocsin's duration functions", () => {
    const e = 'elapsed_ratio >= params.ratio && remaining_s < hours(48)';
    expect(run(e, { elapsed_ratio: 41_441 / 51_800, remaining_s: 10_359 })).toBe(true);
    expect(run(e, { elapsed_ratio: 41_439 / 51_800, remaining_s: 10_361 })).toBe(false);
    expect(
      run('hours(48) == 172800.0 && seconds(90) == 90.0 && days(2) == hours(48) && minutes(1.5) == 90.0'),
    ).toBe(true);
  });

  it('has precedence, lists, regular expressions, functions and envelope fields', () => {
    expect(run('1 + 2 * 3 == 7 && !(1 > 2) && !false')).toBe(true);
    expect(run("status in ['Expired', 'Frozen']", { status: 'Frozen' })).toBe(true);
    expect(run("!(status in ['Expired', 'Frozen'])", { status: 'Active' })).toBe(true);
    expect(run("client_type.matches('^07-')", { client_type: '07-tendermint' })).toBe(true);
    expect(run("!client_type.matches('^07-')", { client_type: '08-wasm' })).toBe(true);
    expect(run("chain_id == 'cosmoshub-4' && instance == 'a'")).toBe(true);
    expect(run('max(a, b) - min(a, b) + abs(-1) + size(xs) + floor(2.7)', { a: 3, b: 5, xs: [1, 2] })).toBe(
      7,
    );
    expect(run("x.lowerAscii() + '-' + x.upperAscii()", { x: 'Ab' })).toBe('ab-AB');
    expect(run('sub.threshold > 1', {}, { sub: { threshold: 2 } })).toBe(true);
    expect(run('latest_height.revision_height', { latest_height: { revision_height: '7' } })).toBe('7');
    expect(run('data.remaining_s == remaining_s && event.source == source', { remaining_s: 5 })).toBe(true);
    expect(run('peers.exists(p, p.up && p.height > 10)', { peers: [{ up: true, height: 11 }] })).toBe(true);
  });

  it('mixes event numbers (doubles) with integer literals', () => {
    expect(run('count + 1 > 3', { count: 3 })).toBe(true);
    expect(run('2 * ratio', { ratio: 0.25 })).toBe(0.5);
    expect(run('size(xs)', { xs: [1, 2, 3] })).toBe(3);
  });

  it('never fires on missing data: a comparison with null does not hold, a missing field is null', () => {
    expect(run('remaining_s < 100', { remaining_s: null })).toBe(null);
    expect(run('remaining_s >= 100', {})).toBe(null);
    expect(run('remaining_s == null', {})).toBe(true);
    expect(run('params.off == null || x < params.off', { x: 1 })).toBe(true);
    expect(run('x * 2', { x: null })).toBe(null);
    expect(run("x > 'a'", { x: 5 })).toBe(null);
    expect(run('coalesce(name, service)', { service: 'alerter' })).toBe('alerter');
    expect(run('a.b.c', { a: { b: {} } })).toBe(null);
  });

  it('reports syntax errors with their position', () => {
    expect(() => compileExpression('a >= ')).toThrow(/position 6/);
    expect(() => compileExpression('a === b')).toThrow(ExpressionError);
    expect(() => compileExpression("a == 'x")).toThrow(ExpressionError);
    expect(() => compileExpression('nope(1)')).toThrow(/nope/);
  });

  it('refuses the old syntax with the CEL form to write instead', () => {
    const cel = (src: string) => {
      try {
        compileExpression(src);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`${src} compiled`);
    };
    expect(cel('elapsed_ratio >= 0.8 and remaining_s < 48h')).toBe(
      'rule expressions are CEL now: write "elapsed_ratio >= 0.8 && remaining_s < hours(48)"',
    );
    expect(cel("status not in ['Expired'] or not (client_type =~ '^07-')")).toContain(
      "!(status in ['Expired']) || !(client_type.matches('^07-'))",
    );
    expect(cel("len(xs) > 2 and lower(x) != 'a' and y !~ 'b'")).toContain(
      "size(xs) > 2 && x.lowerAscii() != 'a' && !y.matches('b')",
    );
  });

  it('records which data fields and params it reads', () => {
    const e = compileExpression('data.a.b > 1 && c < params.p && sub.x && xs.all(i, i.y > 0)', {
      vars: ['sub'],
    });
    expect(e.dataPaths).toEqual([['a', 'b'], ['c'], ['xs']]);
    expect(e.params).toEqual(['p']);
  });

  it('reads each evaluation from its own scope: a bound name before the data, nothing left from the last one', () => {
    // Functions on both sides: evaluated by CEL (not decided by the shortcut, see celShortcut.test.ts).
    const e = compileExpression('coalesce(sub.threshold, 0) > x || coalesce(y, 0) > 1', { vars: ['sub'] });
    const sub = { threshold: 5 };
    expect(e.run(scope({ x: 1 }, { sub }))).toBe(true);
    // The same field name in the data is shadowed by the bound name; without the binding, the data's is read.
    expect(e.run(scope({ x: 9, sub: { threshold: 10 } }, { sub }))).toBe(false);
    expect(e.run(scope({ x: 9, sub: { threshold: 10 } }))).toBe(true);
    // An evaluation that fails (no `sub` anywhere: a field of null) is null, and the next one is its own again.
    expect(e.run(scope({ x: 1 }))).toBe(null);
    expect(e.run(scope({ x: 9, y: 2 }, { sub }))).toBe(true);
    expect(e.run(scope({ x: 9 }, { sub }))).toBe(false);
  });
});

describe('templates', () => {
  it('renders holes with filters', () => {
    const t = compileTemplate(
      '{{ client_id }} at {{ ratio | percent }} ({{ left | duration }} left, {{ x | fixed(2) }}, {{ none | default("n/a") }}, {{ a || b }})',
    );
    expect(
      t.render(scope({ client_id: 'c-0', ratio: 0.80002, left: 10_359, x: 1.23456, a: false, b: true })),
    ).toBe('c-0 at 80.0% (2h 52m left, 1.23, n/a, true)');
    expect(compileTemplate('plain').constant).toBe(true);
    expect(() => compileTemplate('{{ x | bogus }}')).toThrow(/unknown filter "bogus"/);
    expect(() => compileTemplate('{{ x ')).toThrow(/unclosed/);
  });
});

function load(rules: unknown[], extra: Record<string, unknown> = {}) {
  return loadRules(alerterConfig.parse({ rules, ...extra }));
}
function issuesOf(rules: unknown[], extra: Record<string, unknown> = {}): string[] {
  try {
    load(rules, extra);
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

describe('rule loading and validation', () => {
  it('loads the shipped defaults for cosmos-ibc and system', () => {
    const { rules, params } = load([]);
    expect(rules.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'ibc-client-expiring',
        'ibc-client-expiry-imminent',
        'ibc-client-expired',
        'ibc-client-frozen',
        'wallet-below-threshold',
        'wallet-projected-empty',
        'cosmos-ibc-endpoint-errors',
        'cosmos-ibc-scan-missing',
        'cosmos-chain-stalled',
        'service-silent',
        'service-started',
        'delivery-failed',
      ]),
    );
    expect(params.ibc_expiry_critical_left).toBe(43_200);
    expect(params.chain_stall_after).toBe(600);
    const silent = rules.find((r) => r.id === 'service-silent')!;
    expect(silent.kind).toBe('absence');
    expect(silent.absence!.afterMs).toBe(120_000);
    expect(silent.severity).toBe('critical');
  });

  it('evaluates the original bot example with the default expiry rule', () => {
    const rule = load([]).rules.find((r) => r.id === 'ibc-client-expiring')!;
    const s = (elapsed: number) => ({ ...scope(clientStatus('c', { elapsed })), params: load([]).params });
    expect(rule.test!(s(41_441))).toBe(true);
    expect(rule.test!(s(41_439))).toBe(false);
  });

  it('names the rule and the reason for every problem', () => {
    const issues = issuesOf([
      { ...base, id: 'typo-field', condition: { threshold: 'elapsed_ratioo >= 0.8' } },
      { ...base, id: 'bad-syntax', condition: { threshold: 'elapsed_ratio >= ' } },
      { ...base, id: 'two-kinds', condition: { threshold: 'true', absence: { after: '1m' } } },
      { ...base, id: 'bad-fingerprint', fingerprint: ['nope'] },
      { ...base, id: 'unknown-param', condition: { threshold: 'elapsed_ratio > params.nope' } },
      { ...base, id: 'Bad Id' },
      { ...base, id: 'bad-duration', for: 'soon' },
      { ...base, id: 'unknown-key', sevrity: 'critical' },
      { ...base, id: 'bad-template', summary: '{{ client_idd }}' },
    ]);
    const has = (id: string, re: RegExp) =>
      expect(
        issues.some((i) => i.includes(`(id=${id})`) && re.test(i)),
        `${id}: ${re}\n${issues.join('\n')}`,
      ).toBe(true);
    has('typo-field', /condition\.threshold: unknown field "elapsed_ratioo" in cosmos-ibc\.client_status/);
    has('bad-syntax', /condition\.threshold: Unexpected token: EOF at position 18/);
    has('two-kinds', /give exactly one condition kind/);
    has('bad-fingerprint', /fingerprint: "nope" is not a label of this rule/);
    has('unknown-param', /unknown parameter "params\.nope"/);
    has('Bad Id', /^alerter\.rules\.5 .*id: lowercase/);
    has('bad-duration', /for: "soon" is not a duration/);
    has('unknown-key', /sevrity: unknown key; did you mean "severity"\?/);
    has('bad-template', /summary: unknown field "client_idd"/);
  });

  it('refuses a rule in the old expression syntax at load, showing the CEL form', () => {
    const issues = issuesOf([
      {
        ...base,
        id: 'old-syntax',
        condition: { threshold: "status == 'Active' and remaining_s < 48h" },
        summary: '{{ len(connection_ids) }} connections',
      },
    ]);
    expect(issues).toContain(
      'alerter.rules.0 (id=old-syntax): condition.threshold: rule expressions are CEL now: write "status == \'Active\' && remaining_s < hours(48)" in "status == \'Active\' and remaining_s < 48h"',
    );
    expect(issues.join('\n')).toMatch(
      /summary: rule expressions are CEL now: write "size\(connection_ids\)"/,
    );
  });

  it('overrides a default by id (only the fields given), disables one, adds new ones', () => {
    const { rules, params } = load(
      [
        { id: 'ibc-client-expiring', severity: 'critical' },
        { id: 'ibc-client-frozen', enabled: false },
        { ...base, id: 'mine' },
      ],
      { params: { ibc_expiry_warning_ratio: 0.9, ibc_expiry_warning_max_left: '48h' } },
    );
    const expiring = rules.find((r) => r.id === 'ibc-client-expiring')!;
    expect(expiring.severity).toBe('critical');
    expect(expiring.kind).toBe('threshold');
    expect(rules.some((r) => r.id === 'ibc-client-frozen')).toBe(false);
    expect(rules.some((r) => r.id === 'mine')).toBe(true);
    expect(params.ibc_expiry_warning_max_left).toBe(172_800);
    expect(params.ibc_expiry_warning_ratio).toBe(0.9);
  });

  it('applies per-severity defaults for repeat and escalation', () => {
    const { rules } = load([], {
      defaults: { repeat_interval: { warning: '2h' }, escalation: { after: '10m' } },
    });
    const warn = rules.find((r) => r.id === 'ibc-client-expiring')!;
    const crit = rules.find((r) => r.id === 'ibc-client-expiry-imminent')!;
    const expired = rules.find((r) => r.id === 'ibc-client-expired')!;
    expect(warn.repeatIntervalMs).toBe(7_200_000);
    expect(warn.escalation).toBeNull();
    expect(crit.repeatIntervalMs).toBe(3_600_000);
    expect(crit.escalation?.afterMs).toBe(600_000);
    expect(expired.repeatIntervalMs).toBe(0);
    expect(warn.groupWaitMs).toBe(30_000);
    expect(warn.groupIntervalMs).toBe(300_000);
  });
});

describe('durations from params, retracted_by', () => {
  const stall = (extra: Record<string, unknown> = {}) =>
    load([], extra).rules.find((r) => r.id === 'subspace-stall')!;

  it('the subspace stall duration is the param subspace_stall_after (60 s by default, overridable)', () => {
    expect(stall().absence!.afterMs).toBe(60_000);
    const longer = stall({ params: { subspace_stall_after: '2m' } });
    expect(longer.absence!.afterMs).toBe(120_000);
    const s = { ...scope({ height: 7 }), params: { subspace_stall_after: '2m' } };
    expect(longer.summary.render(s)).toContain('for 2m (last 7)');
    // The fact window of one-off facts is a param too.
    const sudo = load([], { params: { subspace_fact_window: '1h' } }).rules.find(
      (r) => r.id === 'subspace-sudo',
    )!;
    expect(sudo.resolveAfterMs).toBe(3_600_000);
  });

  it('refuses a duration param that is unknown or not a duration, and retracted_by where it cannot hold', () => {
    const absent = { ...base, condition: { absence: { after: 'params.nope' } } };
    const issues = issuesOf(
      [
        { ...absent, id: 'unknown-duration-param' },
        { ...absent, id: 'bad-duration-param', condition: { absence: { after: 'params.odd' } } },
        { ...base, id: 'bad-resolve-param', resolve_after: 'params.odd' },
        { ...base, id: 'notice-retracted', mode: 'notice', retracted_by: { type: 'client_status' } },
        {
          ...base,
          id: 'bad-reason',
          match: { source: 'subspace-blocks', type: 'transfer' },
          condition: { threshold: 'true' },
          retracted_by: { type: 'retracted', reason: '{{ nope }}' },
        },
      ],
      { params: { odd: 'soon' } },
    );
    const has = (id: string, re: RegExp) =>
      expect(
        issues.some((i) => i.includes(`(id=${id})`) && re.test(i)),
        `${id}: ${re}\n${issues.join('\n')}`,
      ).toBe(true);
    has('unknown-duration-param', /condition\.absence\.after: unknown parameter "params\.nope"/);
    has('bad-duration-param', /condition\.absence\.after: parameter "params\.odd" is not a duration/);
    has('bad-resolve-param', /resolve_after: parameter "params\.odd" is not a duration/);
    has('notice-retracted', /retracted_by: only an alert rule can be retracted/);
    has('bad-reason', /retracted_by\.reason: unknown field "nope" in subspace-blocks\.retracted/);
  });

  it('the subspace fact rules are withdrawn by `retracted` with the same fingerprint labels', () => {
    const { rules } = load([]);
    for (const id of ['subspace-sudo', 'subspace-large-transfer', 'subspace-force-transfer']) {
      const r = rules.find((x) => x.id === id)!;
      expect(r.retractedBy?.types).toEqual(['retracted']);
    }
  });
});
