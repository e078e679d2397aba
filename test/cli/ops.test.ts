import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { ackCmd, alertsCmd, expireCmd, silenceCmd, silencesCmd } from '@tocsin/cli/ops/alerts';
import { statusCmd } from '@tocsin/cli/ops/status';
import { tailCmd } from '@tocsin/cli/ops/tail';
import { type Alert, cosmosIbc } from '@tocsin/events';
import { notifierWebhookService } from '@tocsin/notifier-webhook';
import { ManualClock, startService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';

// The daily-work commands against the real alerter (in this process, on the test's clock) over the real NATS and
// PostgreSQL, on an isolated prefix. Each command is called as the CLI calls it, its printed lines captured.
const T0 = Date.parse('2026-11-20T12:00:00Z');
let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let nc: NatsConnection;
let publisher: Publisher;

function resolvers() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function capture() {
  const lines: string[] = [];
  return { lines, print: (l: string) => lines.push(l), text: () => lines.join('\n') };
}

async function expired(clientId: string) {
  await publisher.publish(cosmosIbc.clientStatus, {
    chain_id: 'cosmoshub-4',
    dedup_key: `${clientId}:${clock.now()}`,
    data: clientStatus(clientId, { elapsed: 60_000, status: 'Expired' }),
    observed_at: new Date(clock.now()),
  });
}

beforeAll(async () => {
  env = await testEnv('cli-ops');
  clock = new ManualClock(T0);
  // Each alert its own notification (the shipped ibc-relayer incident would list the earlier clients' alerts too).
  alerter = await startAlerter(env, clock, [], { incidents: [{ id: 'ibc-relayer', enabled: false }] });
  nc = await env.nats();
  publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test', now: () => clock.now() });
  await expired('07-tendermint-7');
  await alerter.settle(nc);
});

afterAll(async () => {
  await alerter?.running.stop();
  await env?.cleanup();
});

const opts = (print: (l: string) => void) => ({ env: env.env, print });

describe('alerts, ack, silence, silences, expire', () => {
  it('lists firing alerts as a table and as JSON lines', async () => {
    const t = capture();
    expect(await alertsCmd({}, opts(t.print))).toBe(0);
    expect(t.lines[0]).toMatch(/^ID\s+STATE\s+SEVERITY\s+SOURCE\s+CHAIN\s+SINCE\s+ACK\s+SUMMARY$/);
    expect(t.text()).toMatch(
      /firing\s+critical\s+cosmos-ibc\s+cosmoshub-4 .*07-tendermint-7 on cosmoshub-4 has expired/,
    );
    const j = capture();
    expect(await alertsCmd({ json: true, chain: 'cosmoshub-4' }, opts(j.print))).toBe(0);
    const alerts = j.lines.map((l) => JSON.parse(l) as Alert);
    expect(alerts.map((a) => a.rule_id)).toEqual(['ibc-client-expired']);
    const none = capture();
    expect(await alertsCmd({ chain: 'osmosis-1' }, opts(none.print))).toBe(0);
    expect(none.lines).toEqual(['no firing alerts']);
  });

  it('acknowledges by episode id and by fingerprint, naming who did it', async () => {
    const j = capture();
    await alertsCmd({ json: true }, opts(j.print));
    const alert = JSON.parse(j.lines[0]!) as Alert;
    const t = capture();
    expect(
      await ackCmd(alert.episode_id, { note: 'relayer restarted', by: 'user:alice' }, opts(t.print)),
    ).toBe(0);
    expect(t.lines).toEqual([`acknowledged ${alert.episode_id} (critical) ${alert.summary}`]);
    const after = capture();
    await alertsCmd({ json: true }, opts(after.print));
    expect((JSON.parse(after.lines[0]!) as Alert).acknowledged?.by).toBe('user:alice');
    // A fingerprint works too; the acting user defaults to $TOCSIN_USER.
    const f = capture();
    expect(
      await ackCmd(
        alert.fingerprint,
        { json: true },
        { env: { ...env.env, TOCSIN_USER: 'user:bob' }, print: f.print },
      ),
    ).toBe(0);
    expect((JSON.parse(f.lines[0]!) as Alert).fingerprint).toBe(alert.fingerprint);
  });

  it('an unknown id is an error (exit 1), not a crash; so is an alerter that does not answer', async () => {
    const t = capture();
    const e = capture();
    expect(await ackCmd('01JD4Y7ZKQ3M8V2N5P6R7S8T9V', {}, { ...opts(t.print), printError: e.print })).toBe(1);
    expect(t.lines).toEqual([]);
    expect(e.lines).toEqual([expect.stringMatching(/^tocsin ack: /)]);
    const gone = capture();
    const prefix = `${env.prefix}_gone`;
    expect(
      await alertsCmd(
        {},
        { env: { ...env.env, TOCSIN_SUBJECT_PREFIX: prefix }, print: t.print, printError: gone.print },
      ),
    ).toBe(1);
    expect(gone.lines).toEqual([
      `tocsin alerts: the alerter does not answer on ${prefix}.rpc.alerter.alerts (is it running, with subject prefix ${prefix}? \`tocsin status\` checks)`,
    ]);
  });

  it('silences by matchers for a duration, lists and expires them', async () => {
    const t = capture();
    expect(
      await silenceCmd(
        ['chain_id=cosmoshub-4', 'severity=~crit.*'],
        { for: '2h', reason: 'maintenance', by: 'user:alice', json: true },
        opts(t.print),
      ),
    ).toBe(0);
    const silence = JSON.parse(t.lines[0]!) as { id: string; ends_at: string; author: string };
    expect(Date.parse(silence.ends_at) - T0).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(silence.author).toBe('user:alice');
    const list = capture();
    expect(await silencesCmd({}, opts(list.print))).toBe(0);
    expect(list.lines[0]).toMatch(/^ID\s+MATCHERS\s+ENDS\s+BY\s+REASON$/);
    expect(list.text()).toContain(`${silence.id}  chain_id=cosmoshub-4 severity=~crit.*`);
    expect(list.text()).toContain('maintenance');
    const ex = capture();
    expect(await expireCmd(silence.id, { by: 'user:alice' }, opts(ex.print))).toBe(0);
    expect(ex.lines[0]).toBe(`expired ${silence.id} (chain_id=cosmoshub-4 severity=~crit.*)`);
    const active = capture();
    await silencesCmd({}, opts(active.print));
    expect(active.lines).toEqual(['no active silences']);
    const all = capture();
    await silencesCmd({ all: true, json: true }, opts(all.print));
    expect(all.lines.map((l) => (JSON.parse(l) as { id: string }).id)).toContain(silence.id);
  });

  it('refuses a bad matcher or duration before calling the alerter', async () => {
    const t = capture();
    expect(await silenceCmd(['chain_id'], { for: '2h' }, opts(t.print))).toBe(1);
    expect(await silenceCmd(['chain_id=x'], { for: 'soon' }, opts(t.print))).toBe(1);
    expect(t.lines).toEqual([]);
  });
});

describe('status', () => {
  it('reports config, NATS, streams, PostgreSQL, the alerter, consumer lag and the last event per source', async () => {
    const t = capture();
    expect(await statusCmd({ json: true }, opts(t.print))).toBe(0);
    const r = JSON.parse(t.text()) as {
      ok: boolean;
      checks: { name: string; level: string }[];
      consumers: { stream: string; consumer: string; pending: number }[];
      last_events: { source: string; type: string }[];
    };
    expect(r.ok).toBe(true);
    // The console is not on the path of alerts: not running here, it is a warning (another stack on this machine
    // may answer on its port, then it is ok).
    expect(['ok', 'warn']).toContain(r.checks.find((c) => c.name === 'console')?.level);
    const checks = r.checks.filter((c) => c.name !== 'console');
    expect(Object.fromEntries(checks.map((c) => [c.name, c.level]))).toEqual({
      config: 'ok',
      nats: 'ok',
      'stream events': 'ok',
      'stream alerts': 'ok',
      'stream deadLetter': 'ok',
      postgresql: 'ok',
      alerter: 'ok',
    });
    expect(r.consumers).toContainEqual(
      expect.objectContaining({ stream: env.subjects.streams.events, consumer: 'alerter', pending: 0 }),
    );
    expect(r.last_events).toContainEqual(
      expect.objectContaining({ source: 'cosmos-ibc', type: 'client_status' }),
    );
    const human = capture();
    expect(await statusCmd({}, opts(human.print))).toBe(0);
    expect(human.text()).toMatch(/^ok {4}config/m);
    expect(human.text()).toMatch(/cosmos-ibc: .* ago \(client_status\)/);
    expect(human.text()).toMatch(/everything (on the path of alerts )?answers/);
  });

  it('a notifier (no RPC) answers while a replica pulls on its durable consumer, wherever it runs', async () => {
    // The webhook section turns notifier-webhook on for status, as for `tocsin up`.
    const withWebhook = { ...env.env, TOCSIN__WEBHOOK__CONSOLE: 'false' };
    // (Not asserted before it starts: this machine may run another stack whose notifier answers on port 9464.)
    const notifier = await startService(notifierWebhookService, {
      argv: [],
      env: env.env,
      clock,
      config: { ...env.config, webhook: { console: false } },
    });
    try {
      const t = capture();
      await eventually(
        async () => {
          t.lines.length = 0;
          const code = await statusCmd({}, { env: withWebhook, print: t.print });
          return code === 0 && t.text().includes('pulling from');
        },
        20_000,
        'status to see the notifier pulling',
      );
      expect(t.text()).toMatch(
        /^ok {4}notifier-webhook +pulling from T_CLI_OPS_\w+_ALERTS \(consumer notifier-webhook\)/m,
      );
    } finally {
      await notifier.stop();
    }
  });

  it('exits 1 with FAIL lines when NATS is unreachable or the config is invalid', async () => {
    const t = capture();
    const code = await statusCmd(
      {},
      { env: { ...env.env, NATS_URL: 'nats://127.0.0.1:1' }, print: t.print, timeoutMs: 1000 },
    );
    expect(code).toBe(1);
    expect(t.text()).toMatch(/^FAIL {2}nats +cannot reach nats:\/\/127\.0\.0\.1:1/m);
    expect(t.text()).toMatch(/^FAIL {2}alerter/m);
    const file = join(tmpdir(), `tocsin-status-${process.pid}.yaml`);
    writeFileSync(file, 'nats:\n  urll: nats://x\n');
    const bad = capture();
    expect(await statusCmd({}, { config: file, env: env.env, print: bad.print })).toBe(1);
    expect(bad.text()).toMatch(
      /FAIL {2}config +invalid configuration .*\n\s+nats\.urll: unknown key; did you mean "url"\?/,
    );
  });

  it('names an alerter that does not answer', async () => {
    const t = capture();
    const code = await statusCmd(
      {},
      { env: { ...env.env, TOCSIN_SUBJECT_PREFIX: `${env.prefix}_nobody` }, print: t.print, timeoutMs: 1000 },
    );
    expect(code).toBe(1);
    expect(t.text()).toMatch(/^FAIL {2}stream events +T_.*_NOBODY_EVENTS is missing/m);
    expect(t.text()).toMatch(/^FAIL {2}alerter +no answer from .*_nobody\.rpc\.alerter\.silences/m);
  });
});

describe('tail', () => {
  it('prints live events and alerts, filtered', async () => {
    const t = capture();
    const ready = resolvers();
    const done = tailCmd(['source=cosmos-ibc'], { count: 2, onReady: ready.resolve }, { ...opts(t.print) });
    await ready.promise;
    clock.advance(1000);
    await expired('07-tendermint-8');
    await alerter.settle(nc);
    expect(await done).toBe(0);
    expect(t.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d {2}event {2}cosmos-ibc\.client_status +cosmoshub-4 +client_id=07-tendermint-8/,
    );
    expect(t.lines[1]).toMatch(
      /ALERT {2}FIRING critical .*IBC client 07-tendermint-8 on cosmoshub-4 has expired \[ibc-client-expired /,
    );
  });

  it('severity>=critical shows alerts only; --json prints the raw messages', async () => {
    const t = capture();
    const ready = resolvers();
    const done = tailCmd(
      ['severity>=critical', 'kind=alert'],
      { count: 1, json: true, onReady: ready.resolve },
      opts(t.print),
    );
    await ready.promise;
    clock.advance(1000);
    await expired('07-tendermint-9');
    await alerter.settle(nc);
    expect(await done).toBe(0);
    const n = JSON.parse(t.lines[0]!) as { transition: string; alerts: Alert[] };
    expect(n.transition).toBe('firing');
    expect(n.alerts[0]!.labels.client_id).toBe('07-tendermint-9');
  });

  it('refuses a filter it does not understand', async () => {
    const t = capture();
    expect(await tailCmd(['colour=red'], { count: 1 }, opts(t.print))).toBe(1);
    expect(await tailCmd(['severity>=loud'], { count: 1 }, opts(t.print))).toBe(1);
  });
});
