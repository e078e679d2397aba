import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import type { Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Stack, startStack } from '../../services/cosmos-ibc/test/stack.ts';

/**
 * An RPC URL with a user, a password and an API key, read from an rpc_file, on an endpoint that keeps failing:
 * the credentials never appear in a published event, a log line (cosmos-ibc's or the alerter's), or a
 * notification the alerter renders with its default rules. Where the URL is shown it is masked.
 */
const HUB = 'cosmoshub-4';
const SECRETS = ['rpcuser', 's3cret-pass-77', 'k3y-abcdef-123'];
let s: Stack;
let alerter: RunningService;
let handle: AlerterHandle;
let notifications: ReturnType<typeof collect<Notification>>;
const alerterLogs: string[] = [];
let failing = '';
let shown = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosmos-ibc-creds-'));
  const rpcFile = join(dir, 'hub-rpc');
  s = await startStack({
    name: 'cosmos-ibc-creds',
    captureLogs: true,
    scenario: {
      chains: [
        {
          chain_id: HUB,
          generate_clients: { count: 2, seed: 1, counterparty_chain_ids: ['osmosis-1'] },
          endpoints: [{ fault: { kind: 'http_500' } }, {}],
        },
      ],
    },
    beforeStart(sim) {
      const withCredentials = (u: string) => {
        const url = new URL(u);
        url.username = 'rpcuser';
        url.password = 's3cret-pass-77';
        url.search = '?apikey=k3y-abcdef-123';
        return url.toString();
      };
      failing = withCredentials(sim.chainUrl(HUB, 0));
      const base = new URL(sim.chainUrl(HUB, 0));
      shown = `http://***:***@${base.host}${base.pathname}?apikey=***`;
      writeFileSync(rpcFile, `${failing}\n${withCredentials(sim.chainUrl(HUB, 1))}\n`);
      chmodSync(rpcFile, 0o600);
    },
    section: {
      retries: 0,
      chains: [
        { chain_id: HUB, rpc_file: rpcFile, denom: 'uatom', display_denom: 'ATOM', scan_interval: '1m' },
      ],
    },
  });
  notifications = collect<Notification>(s.nc, s.env.subjects.alerts());
  let ready: AlerterHandle | undefined;
  alerter = await startService(createAlerterService({ onReady: (h) => (ready = h) }), {
    argv: [],
    env: { ...s.env.env, TOCSIN_LOG_LEVEL: 'info' },
    clock: s.clock,
    logDest: new Writable({
      write(chunk, _enc, done) {
        alerterLogs.push(String(chunk));
        done();
      },
    }),
    config: {
      ...s.env.config,
      alerter: {
        tick_interval: 0,
        defaults: { group_wait: 0, group_interval: 0 },
        rules: [{ id: 'service-silent', enabled: false }],
      },
    },
  });
  handle = ready!;
});
afterAll(async () => {
  notifications?.stop();
  await alerter?.stop();
  await s?.stop();
});

const endpointAlerts = () =>
  notifications.items.filter((n) => n.alerts.some((a) => a.rule_id === 'cosmos-ibc-endpoint-errors'));

it('an endpoint URL with user, password and API key never leaks into events, logs or notifications', async () => {
  const jsm = await jetstreamManager(s.nc);
  // Three failing scans in a few minutes: the default rule (3 errors in 35 minutes) fires.
  for (let i = 0; i < 3; i++) {
    s.clock.advance(120_000);
    expect((await s.scan())[0]).toMatchObject({ clients: 2, errors: 1 });
  }
  await eventually(
    async () => {
      const info = await jsm.consumers.info(s.env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    20_000,
    'the alerter to apply every event',
  );
  await handle.idle();
  await eventually(
    async () => {
      s.clock.advance(1000);
      await handle.tick();
      await s.nc.flush();
      return endpointAlerts().length > 0;
    },
    30_000,
    'the endpoint alert',
  );

  // Shown masked where it is shown at all: the event, the alert summary, the service's log lines.
  const errors = s.ofType('endpoint_error');
  expect(errors.length).toBeGreaterThanOrEqual(3);
  for (const e of errors) expect(e.data).toMatchObject({ endpoint: shown, kind: 'http' });
  const [started] = s.ofType('service_started', 0, 'system');
  expect(JSON.stringify(started!.data)).toContain(shown);
  const alert = endpointAlerts()[0]!.alerts[0]!;
  expect(alert.summary).toContain(`Endpoint ${shown} of ${HUB} keeps failing`);
  expect(alert.labels.endpoint).toBe(shown);
  expect(s.logs.some((l) => l.endpoint === shown)).toBe(true);

  // And nowhere in full.
  const everything = [
    JSON.stringify(s.events),
    JSON.stringify(s.logs),
    alerterLogs.join(''),
    JSON.stringify(notifications.items),
  ].join('\n');
  expect(everything.length).toBeGreaterThan(1000);
  for (const secret of SECRETS) expect(everything).not.toContain(secret);
  expect(everything).not.toContain(failing);
});
