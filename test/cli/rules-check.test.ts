import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rulesCheckCmd } from '@tocsin/cli/ops/replay';
import { newId } from '@tocsin/events';
import { afterAll, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import { cleanEnv } from '../support/processes.ts';

// `tocsin rules check`: the alerter's own loader and rule compiler, run in its replay process; the sample is
// judged by the same pipeline as `tocsin replay`, on the test PostgreSQL (a schema of its own, dropped after).
const dir = mkdtempSync(join(tmpdir(), 'tocsin-rules-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULE = {
  id: 'big-client-gap',
  match: { source: 'cosmos-ibc', type: 'client_status' },
  condition: { threshold: "status == 'Active' && elapsed_s > hours(100)" },
  value: 'elapsed_s',
  severity: 'info',
  labels: { client_id: '{{ client_id }}' },
  summary: 'client {{ client_id }} has not been updated for {{ elapsed_s | duration }}',
};

function file(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : stringify(doc));
  return path;
}

async function check(config: string, sample?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rulesCheckCmd(config, {
    ...(sample ? { sample } : {}),
    databaseUrl: inject('databaseUrl'),
    env: cleanEnv(),
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

it('a valid config: every rule compiled, exit 0', async () => {
  const r = await check(file('ok.yaml', { alerter: { rules: [RULE], defaults: { group_wait: '0s' } } }));
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/ok\.yaml: valid; \d+ rules, every condition compiled/);
});

it('a bad config exits 1 naming each bad field, with the services’ messages', async () => {
  const r = await check(
    file('bad.yaml', {
      nats: { duplicate_window: 'soon' },
      alerter: { rulez: [], defaults: { group_wiat: '1s' } },
    }),
  );
  expect(r.code).toBe(1);
  expect(r.err).toContain('invalid configuration');
  expect(r.err).toContain('nats.duplicate_window: "soon" is not a duration');
  expect(r.err).toMatch(/alerter\.rulez: unknown key; did you mean "rules"\?/);
  expect(r.err).toMatch(/alerter\.defaults\.group_wiat: unknown key; did you mean "group_wait"\?/);
});

it('a rule whose CEL does not compile exits 1 naming the rule', async () => {
  const r = await check(
    file('cel.yaml', {
      alerter: { rules: [{ ...RULE, condition: { threshold: "status == 'Active' &&" } }] },
    }),
  );
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/alerter\.rules\.0.*condition/);
});

it('with a sample: what would fire, and why', async () => {
  const t = Date.parse('2026-11-20T12:00:00Z');
  const envelope = (client: string, elapsed: number, status: string, at: number) => ({
    id: newId(at),
    source: 'cosmos-ibc',
    type: 'client_status',
    version: 1,
    chain_id: 'cosmoshub-4',
    instance: 'sample',
    observed_at: new Date(at).toISOString(),
    dedup_key: `${client}:${at}`,
    data: clientStatus(client, { elapsed, status: status as 'Active', trusting: 5_180_000 }),
  });
  const sample = file(
    'sample.jsonl',
    [
      envelope('07-tendermint-0', 400_000, 'Active', t),
      envelope('07-tendermint-1', 100, 'Expired', t + 1000),
      envelope('07-tendermint-2', 100, 'Active', t + 2000),
    ]
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const r = await check(
    file('ok2.yaml', { alerter: { rules: [RULE], defaults: { group_wait: '0s' } } }),
    sample,
  );
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/on .*sample\.jsonl \(3 events\) these would be notified:/);
  expect(r.out).toMatch(
    /FIRING info {2}big-client-gap {2}cosmoshub-4: client 07-tendermint-0 has not been updated for 4d/,
  );
  expect(r.out).toMatch(
    /why: threshold rule big-client-gap on cosmos-ibc\.client_status of 2026-11-20T12:00:00\.000Z, value 400000; .*client_id=07-tendermint-0/,
  );
  expect(r.out).toMatch(
    /FIRING critical {2}ibc-client-expired {2}cosmoshub-4: IBC client 07-tendermint-1 on cosmoshub-4 has expired/,
  );
  expect(r.out).not.toContain('07-tendermint-2');
});
