import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublisher } from '@tocsin/bus';
import { type Alert, cosmosIbc } from '@tocsin/events';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleService } from '../../services/console/src/index.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';

// The console in front of the real alerter (default rules): a client about to expire fires, the alert shows in
// /api/alerts with its timeline, arrives on the live stream, and is acknowledged through the API with the token.

const TOKEN = 'console-e2e-token-2b7d41';
let env: TestEnv;
let alerter: InProcessAlerter;
let svc: RunningService;
const clock = new ManualClock(Date.parse('2026-12-04T12:00:00Z'));

beforeAll(async () => {
  env = await testEnv('console-alerter');
  alerter = await startAlerter(env, clock);
  const file = join(mkdtempSync(join(tmpdir(), 'console-e2e-')), 'token');
  writeFileSync(file, TOKEN);
  chmodSync(file, 0o600);
  svc = await startService(consoleService, {
    env: env.env,
    argv: [],
    clock, // `since=1h` counts from the alerter's time
    config: { ...env.config, console: { token_file: file, actor: 'ops-team', rpc_timeout: '2s' } },
  });
});

afterAll(async () => {
  await svc?.stop();
  await alerter?.running.stop();
  await env?.cleanup();
});

const api = async (path: string, init: { method?: 'POST'; body?: unknown; token?: string } = {}) => {
  const res = await svc.ctx.http.inject({
    method: init.method ?? 'GET',
    url: path,
    headers: {
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    ...(init.body !== undefined ? { payload: JSON.stringify(init.body) } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};

/** The stream's `alert` events, as they arrive. */
async function openStream(): Promise<{ alerts: Alert[]; close(): Promise<void> }> {
  const res = await fetch(`${svc.url}/api/stream`);
  const reader = res.body!.getReader();
  const alerts: Alert[] = [];
  const dec = new TextDecoder();
  let buf = '';
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += dec.decode(value);
      let end = buf.indexOf('\n\n');
      while (end >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = /^event: alert\ndata: (.*)$/m.exec(frame.replace(/^id: .*\n/, ''));
        if (data) alerts.push(JSON.parse(data[1]!) as Alert);
        end = buf.indexOf('\n\n');
      }
    }
  })().catch(() => undefined);
  return {
    alerts,
    async close() {
      await reader.cancel();
      await pump;
    },
  };
}

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await alerter.settle(await env.nats(), 1);
  }
}

it('shows a firing alert with its timeline and on the live stream, and acknowledges it with the token', async () => {
  const stream = await openStream();
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test', now: () => clock.now() });
  await publisher.publish(cosmosIbc.clientStatus, {
    chain_id: 'console-1',
    dedup_key: 'console-1:07-tendermint-0:41400',
    observed_at: new Date(clock.now()),
    data: {
      client_id: '07-tendermint-0',
      client_type: '07-tendermint',
      counterparty_chain_id: 'osmosis-1',
      connection_ids: ['connection-0'],
      status: 'Active',
      trusting_period_s: 46_800,
      latest_height: { revision_number: '1', revision_height: '100' },
      last_update: '2026-12-04T00:30:00Z',
      elapsed_s: 41_400,
      elapsed_ratio: 41_400 / 46_800,
      remaining_s: 5_400,
      expires_at: '2026-12-04T13:30:00Z',
    },
  });
  await alerter.settle(nc);
  const firing = await until('the firing alert in /api/alerts', async () => {
    const r = await api('/api/alerts?state=firing&chain_id=console-1&since=1h');
    return (r.body.alerts as Alert[] | undefined)?.find((a) => a.rule_id === 'ibc-client-expiry-imminent');
  });
  const one = await api(`/api/alerts/${firing.episode_id}`);
  expect(one.status).toBe(200);
  expect((one.body.timeline as { kind: string }[])[0]!.kind).toBe('firing');
  await until('the firing alert on the stream', () =>
    stream.alerts.some((a) => a.episode_id === firing.episode_id && a.state === 'firing'),
  );

  const path = `/api/alerts/${firing.episode_id}/ack`;
  expect((await api(path, { method: 'POST', body: { note: 'on it' } })).status).toBe(401);
  expect((await api(path, { method: 'POST', body: {}, token: 'wrong' })).status).toBe(401);
  const ack = await api(path, { method: 'POST', body: { note: 'on it' }, token: TOKEN });
  expect(ack.status).toBe(200);
  expect((ack.body.alert as Alert).acknowledged?.by).toBe('user:ops-team');
  const after = await api(`/api/alerts/${firing.episode_id}`);
  expect((after.body.timeline as { kind: string }[]).map((t) => t.kind)).toContain('acknowledged');
  await until('the acknowledged alert on the stream', () =>
    stream.alerts.some((a) => a.episode_id === firing.episode_id && a.acknowledged?.by === 'user:ops-team'),
  );
  // No ingestor runs here: its routes say so instead of waiting.
  const ibc = await api('/api/ibc/clients');
  expect(ibc.status).toBe(503);
  expect(ibc.body.message).toMatch(/cosmos-ibc/);
  await stream.close();
});
