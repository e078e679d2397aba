import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;
const TOKEN = 'test-api-token-7f3a';
const received: { url: string; method: string; body: string }[] = [];
let pushUrl = '';
const monitor = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push({ url: req.url ?? '', method: req.method ?? '', body });
    res.writeHead(req.url?.includes('refuse') ? 500 : 200).end('ok');
  });
});

beforeAll(async () => {
  env = await testEnv('alerter-api');
  const dir = mkdtempSync(join(tmpdir(), 'alerter-api-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  chmodSync(tokenFile, 0o600);
  await new Promise<void>((r) => monitor.listen(0, '127.0.0.1', r));
  const port = (monitor.address() as { port: number }).port;
  pushUrl = `http://127.0.0.1:${port}`;
  const hcFile = join(dir, 'hc-url');
  writeFileSync(hcFile, `${pushUrl}/hc/ping-uuid`);
  chmodSync(hcFile, 0o600);
  h = await startAlerter(env, {
    defaults: { group_wait: 0, priority_wait: 0 },
    api_token_file: tokenFile,
    // Pushes only when the tests ask (pushHeartbeat); a timed push could land in `received` mid-test.
    heartbeat_push_interval: 0,
    heartbeat_urls: [
      `${pushUrl}/api/push/kuma-token?status={status}&msg={heights}&ping={height}`,
      { url_file: hcFile, method: 'POST' },
    ],
  });
});
afterAll(async () => {
  await h?.stop();
  monitor.close();
  await env.cleanup();
});

/** Calls a route in process (fastify's inject): the routes are under test here, not the network. */
const api = async (
  path: string,
  init: { method?: 'GET' | 'POST' | 'DELETE'; body?: string; token?: string | null } = {},
) => {
  const { token = TOKEN, method = 'GET', body } = init;
  const res = await h.running.ctx.http.inject({
    method,
    url: path,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { payload: body } : {}),
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};

describe('history routes', () => {
  it('lists alerts by state, source and time, and serves an alert’s timeline', async () => {
    await publishClient(h, 'api-1', 'c-0', { trusting: 46_800, elapsed: 41_400 });
    await publishClient(h, 'api-1', 'c-1', { trusting: 1_814_400, elapsed: 1_500_000 });
    await h.settle();
    const firing = await api('/alerts?state=firing&source=cosmos-ibc&since=1h');
    expect(firing.status).toBe(200);
    const alerts = firing.body.alerts as Alert[];
    expect(alerts.map((a) => `${a.rule_id}:${a.labels.client_id}`).sort()).toEqual([
      'ibc-client-expiring:c-1',
      'ibc-client-expiry-imminent:c-0',
    ]);
    expect((await api(`/alerts?since=${new Date(h.clock.now() + 1000).toISOString()}`)).body.alerts).toEqual(
      [],
    );
    expect((await api('/alerts?state=resolved&chain_id=api-1')).body.alerts).toEqual([]);
    // The warning on c-0 is outranked by its critical: listed only on request.
    const all = (await api('/alerts?chain_id=api-1&include_suppressed=true')).body.alerts as Alert[];
    expect(all).toHaveLength(3);
    const bad = await api('/alerts?state=burning&limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.issues).toEqual([
      expect.stringMatching(/^query\.state: /),
      expect.stringMatching(/^query\.limit: /),
    ]);

    const id = alerts[0]!.episode_id;
    const tl = await api(`/alerts/${id}/timeline`);
    expect(tl.status).toBe(200);
    expect((tl.body.timeline as { kind: string }[]).map((t) => t.kind)).toEqual(['firing', 'notified']);
    expect((await api('/alerts/01JD0000000000000000000000/timeline')).status).toBe(404);
    const rules = await api('/rules');
    expect((rules.body.rules as { id: string }[]).some((r) => r.id === 'service-silent')).toBe(false);
  });

  it('write routes need the bearer token; they acknowledge and silence', async () => {
    const [alert] = (await api('/alerts?state=firing&chain_id=api-1&rule_id=ibc-client-expiry-imminent')).body
      .alerts as Alert[];
    const path = `/alerts/${alert!.episode_id}/ack`;
    expect((await api(path, { method: 'POST', body: '{"by":"user:ops"}', token: null })).status).toBe(401);
    expect((await api(path, { method: 'POST', body: '{"by":"user:ops"}', token: 'wrong' })).status).toBe(401);
    const noBy = await api(path, { method: 'POST', body: '{}' });
    expect(noBy.status).toBe(400);
    expect(noBy.body.issues).toEqual([expect.stringMatching(/^body\.by: /)]);
    const ok = await api(path, { method: 'POST', body: JSON.stringify({ by: 'user:ops', note: 'on it' }) });
    expect(ok.status).toBe(200);
    expect((ok.body.alert as Alert).acknowledged?.by).toBe('user:ops');

    const sil = await api('/silences', {
      method: 'POST',
      body: JSON.stringify({
        by: 'user:ops',
        matchers: [{ name: 'chain_id', value: 'api-1' }],
        duration_s: 600,
      }),
    });
    expect(sil.status).toBe(201);
    const id = (sil.body.silence as { id: string }).id;
    expect(((await api('/silences')).body.silences as { id: string }[]).map((s) => s.id)).toContain(id);
    expect((await api(`/silences/${id}`, { method: 'DELETE', token: null })).status).toBe(401);
    expect((await api(`/silences/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await api('/silences')).body.silences).toEqual([]);
  });
});

describe('self-monitoring', () => {
  it('pushes a heartbeat with the latest heights to every external monitor while healthy', async () => {
    h.nc.publish(
      env.subjects.health('cosmos-ibc'),
      JSON.stringify({
        id: '01JD0000000000000000000001',
        source: 'system',
        type: 'heartbeat',
        version: 1,
        chain_id: '-',
        instance: 'ibc-1',
        observed_at: new Date(h.clock.now()).toISOString(),
        dedup_key: 'hb-1',
        data: {
          service: 'cosmos-ibc',
          ready: true,
          uptime_s: 60,
          heights: { 'cosmoshub-4': 23_456_789, 'osmosis-1': 99 },
        },
      }),
    );
    await h.syncCore();
    received.length = 0;
    const r = await h.handle.pushHeartbeat();
    expect(r).toEqual({ pushed: 2, failed: 0, skipped: null });
    const kuma = received.find((x) => x.url.startsWith('/api/push/'))!;
    expect(kuma.method).toBe('GET');
    expect(kuma.url).toBe(
      `/api/push/kuma-token?status=up&msg=${encodeURIComponent('cosmoshub-4=23456789,osmosis-1=99')}&ping=23456789`,
    );
    const hc = received.find((x) => x.url === '/hc/ping-uuid')!;
    expect(hc.method).toBe('POST');
    expect(JSON.parse(hc.body)).toMatchObject({ status: 'up', heights: { 'cosmoshub-4': 23_456_789 } });
    expect((await h.handle.health()).healthy).toBe(true);
  });

  it('stays silent while the pipeline is unhealthy, so the external monitor raises the alarm', async () => {
    h.handle.alerter.lastBatchError = { at: h.clock.now() + 1, error: 'database unreachable' };
    received.length = 0;
    const r = await h.handle.pushHeartbeat();
    expect(r.pushed).toBe(0);
    expect(r.skipped).toEqual(['last batch failed: database unreachable']);
    expect(received).toEqual([]);
    h.handle.alerter.lastBatchError = null;
  });
});

describe('without a token file', () => {
  it('refuses every write route (never open)', async () => {
    const env2 = await testEnv('alerter-api-open');
    const h2 = await startAlerter(env2);
    try {
      const res = await h2.running.ctx.http.inject({
        method: 'POST',
        url: '/silences',
        headers: { 'content-type': 'application/json', authorization: 'Bearer anything' },
        payload: JSON.stringify({ by: 'x', matchers: [{ name: 'a', value: 'b' }], duration_s: 60 }),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json<{ message: string }>().message).toMatch(/api_token_file/);
    } finally {
      await h2.stop();
      await env2.cleanup();
    }
  });
});
