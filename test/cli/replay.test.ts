import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { exportCmd } from '@tocsin/cli/ops/export';
import { replayCmd, transitions } from '@tocsin/cli/ops/replay';
import { cosmosIbc, type Notification } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import { cleanEnv } from '../support/processes.ts';

// `tocsin replay` on an exported file gives the same alerts as the live run did: the real alerter (shipped default
// rules, grouping waits and priority waits on) judges a scenario live over NATS and PostgreSQL on a manual clock
// that ticks every second; the events stream is exported with `tocsin events export` and replayed through the
// alerter's replay process; the notifications must be the same, in the same order, at the same times.
const T0 = Date.parse('2026-11-20T12:00:00Z');
const ALERTER = {
  tick_interval: 0,
  defaults: { group_wait: '5s', group_interval: '10s' },
  rules: [{ id: 'service-silent', enabled: false }],
};
let env: TestEnv;
let dir: string;
let clock: ManualClock;
let running: RunningService;
let handle: AlerterHandle;
let nc: NatsConnection;
let publisher: Publisher;
let live: ReturnType<typeof collect<Notification>>;

/** The scenario: at second k of the clock, these client facts (chain, client, elapsed s, status); trusting 6 d. */
const SCENARIO: Record<number, [string, string, number, 'Active' | 'Expired' | 'Frozen'][]> = {
  0: [['cosmoshub-4', '07-tendermint-0', 420_000, 'Active']],
  2: [['cosmoshub-4', '07-tendermint-1', 600_000, 'Expired']],
  3: [['osmosis-1', '07-tendermint-5', 430_000, 'Active']],
  12: [['cosmoshub-4', '07-tendermint-0', 480_000, 'Active']],
  25: [['cosmoshub-4', '07-tendermint-0', 100, 'Active']],
  31: [['cosmoshub-4', '07-tendermint-1', 200, 'Active']],
  33: [['osmosis-1', '07-tendermint-6', 0, 'Frozen']],
};
// Past 30 minutes: the frozen client's critical alert, unacknowledged, escalates (a timer due after a long quiet
// stretch, which the replay must hit on the same tick).
const SECONDS = 1900;

async function settle(): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    20_000,
    'the alerter to apply every event',
  );
  await handle.idle();
}

beforeAll(async () => {
  env = await testEnv('cli-replay');
  dir = mkdtempSync(join(tmpdir(), 'tocsin-replay-test-'));
  clock = new ManualClock(T0);
  running = await startService(createAlerterService({ onReady: (h) => (handle = h) }), {
    argv: [],
    env: env.env,
    clock,
    config: { ...env.config, alerter: ALERTER },
  });
  nc = await env.nats();
  live = collect<Notification>(nc, env.subjects.alerts());
  publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test', now: () => clock.now() });
  for (let k = 0; k < SECONDS; k++) {
    for (const [chain, client, elapsed, status] of SCENARIO[k] ?? []) {
      await publisher.publish(cosmosIbc.clientStatus, {
        chain_id: chain,
        dedup_key: `${chain}:${client}:${k}`,
        data: clientStatus(client, { elapsed, status, trusting: 518_000 }),
        observed_at: new Date(clock.now()),
      });
      await settle();
    }
    clock.advance(1000);
    await handle.tick();
    await handle.idle();
  }
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () => (await jsm.streams.info(env.subjects.streams.alerts)).state.messages === live.items.length,
    10_000,
    'every live notification to arrive',
  );
});

afterAll(async () => {
  live?.stop();
  await running?.stop();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function exportTo(file: string, args: Parameters<typeof exportCmd>[0] = {}): Promise<number> {
  const out = createWriteStream(file);
  const code = await exportCmd({ ...args, out }, { env: env.env });
  out.end();
  await once(out, 'close');
  return code;
}

function replayConfig(): string {
  const file = join(dir, 'tocsin.yaml');
  writeFileSync(file, stringify({ alerter: ALERTER }));
  return file;
}

it('replaying an export gives the alerts of the live run: same rules, fingerprints, states, order and times', async () => {
  const file = join(dir, 'events.jsonl');
  expect(await exportTo(file)).toBe(0);
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(Object.values(SCENARIO).flat().length);
  expect(JSON.parse(lines[0]!)).toMatchObject({ seq: 1, subject: expect.stringMatching(/client_status$/) });

  const printed: string[] = [];
  const lastEvent = Math.max(...Object.keys(SCENARIO).map(Number));
  const code = await replayCmd(file, {
    config: replayConfig(),
    databaseUrl: env.databaseUrl,
    drain: `${SECONDS - lastEvent}s`,
    json: true,
    env: cleanEnv(),
    print: (l) => printed.push(l),
  });
  expect(code).toBe(0);
  const replayed = printed.map((l) => JSON.parse(l) as Notification);
  const liveTransitions = transitions(live.items);
  // The scenario does exercise the lifecycle: warnings, criticals, a priority switch, resolves, an escalation.
  expect(new Set(liveTransitions.map((t) => t.transition))).toEqual(
    new Set(['firing', 'resolved', 'escalated']),
  );
  expect(new Set(liveTransitions.map((t) => t.rule_id))).toEqual(
    new Set(['ibc-client-expiring', 'ibc-client-expiry-imminent', 'ibc-client-expired', 'ibc-client-frozen']),
  );
  expect(transitions(replayed)).toEqual(liveTransitions);
  expect(replayed.map((n) => [n.transition, n.group.key, n.severity, n.alerts.length])).toEqual(
    live.items.map((n) => [n.transition, n.group.key, n.severity, n.alerts.length]),
  );
});

it('the human table lists each transition and a summary; a bad line is refused with its number (exit 1)', async () => {
  const file = join(dir, 'table.jsonl');
  expect(await exportTo(file)).toBe(0);
  const printed: string[] = [];
  expect(
    await replayCmd(file, {
      config: replayConfig(),
      databaseUrl: env.databaseUrl,
      drain: '30s',
      env: cleanEnv(),
      print: (l) => printed.push(l),
    }),
  ).toBe(0);
  expect(printed[0]).toMatch(/^TIME\s+TRANSITION\s+SEVERITY\s+RULE\s+FINGERPRINT\s+SUMMARY$/);
  expect(printed.join('\n')).toMatch(
    /firing\s+critical\s+ibc-client-expired\s+\S+\s+IBC client 07-tendermint-1 on cosmoshub-4 has expired/,
  );
  expect(printed.at(-1)).toMatch(
    /^7 events replayed \(2026-11-20T12:00:00\.000Z → .*\): \d+ notifications, \d+ alert transitions$/,
  );

  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, `${readFileSync(file, 'utf8').split('\n')[0]}\n{"id": "nope"}\n`);
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string) => errors.push(String(s)) > 0) as typeof process.stderr.write;
  try {
    expect(
      await replayCmd(bad, { databaseUrl: env.databaseUrl, env: cleanEnv(), print: () => undefined }),
    ).toBe(1);
  } finally {
    process.stderr.write = write;
  }
  expect(errors.join('')).toMatch(/bad\.jsonl:2: /);
});

it('export takes a time range and sources; replay runs on the embedded PostgreSQL without a database', async () => {
  const part = join(dir, 'part.jsonl');
  // The stream's own times are real time: a range ending before the run holds nothing, one from then holds all.
  expect(await exportTo(part, { until: '2020-01-01T00:00:00Z' })).toBe(0);
  expect(readFileSync(part, 'utf8')).toBe('');
  expect(await exportTo(part, { since: '1h', source: ['cosmos-ibc'] })).toBe(0);
  expect(readFileSync(part, 'utf8').trim().split('\n')).toHaveLength(7);
  expect(await exportTo(part, { since: '1h', source: ['subspace-blocks'] })).toBe(0);
  expect(readFileSync(part, 'utf8')).toBe('');
  // Several sources: NATS 2.9 takes one filter subject, so these are filtered by the CLI.
  expect(await exportTo(part, { source: ['subspace-blocks,cosmos-ibc'] })).toBe(0);
  expect(readFileSync(part, 'utf8').trim().split('\n')).toHaveLength(7);

  const all = join(dir, 'all.jsonl');
  expect(await exportTo(all, { since: '2h', until: '0s' })).toBe(0);
  const printed: string[] = [];
  const code = await replayCmd(all, {
    config: replayConfig(),
    drain: `${SECONDS - 33}s`,
    json: true,
    env: cleanEnv(),
    print: (l) => printed.push(l),
  });
  expect(code).toBe(0);
  expect(transitions(printed.map((l) => JSON.parse(l) as Notification))).toEqual(transitions(live.items));
}, 120_000);
