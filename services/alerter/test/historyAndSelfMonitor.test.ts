import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callRpc, isRpcError } from '@tocsin/bus';
import type { Alert } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

let env: TestEnv;
let h: Harness;
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
  await new Promise<void>((r) => monitor.listen(0, '127.0.0.1', r));
  const port = (monitor.address() as { port: number }).port;
  pushUrl = `http://127.0.0.1:${port}`;
  const hcFile = join(dir, 'hc-url');
  writeFileSync(hcFile, `${pushUrl}/hc/ping-uuid`);
  chmodSync(hcFile, 0o600);
  h = await startAlerter(env, {
    defaults: { group_wait: 0, priority_wait: 0 },
    // Each rule its own group, so both alerts are notified at once (an incident's later member waits group_interval).
    incidents: [{ id: 'ibc-relayer', enabled: false }],
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

const rpc = async (method: string, body: unknown) => {
  try {
    return {
      ok: true as const,
      result: await callRpc<Record<string, unknown>>(h.nc, env.subjects.rpc('alerter', method), body),
    };
  } catch (err) {
    if (!isRpcError(err)) throw err;
    return { ok: false as const, code: err.code, issues: err.issues ?? [] };
  }
};
const alertsOf = async (q: Record<string, unknown>) => {
  const r = await rpc('alerts', q);
  if (!r.ok) throw new Error(`alerts ${JSON.stringify(q)}: ${r.code}`);
  return r.result.alerts as Alert[];
};

describe('history over RPC (what the console serves)', () => {
  it('lists alerts by state, source, rule and time, and serves an alert with its timeline', async () => {
    await publishClient(h, 'api-1', 'c-0', { trusting: 46_800, elapsed: 41_400 });
    await publishClient(h, 'api-1', 'c-1', { trusting: 1_814_400, elapsed: 1_500_000 });
    await h.settle();
    const since = new Date(h.clock.now() - 3_600_000).toISOString();
    const alerts = await alertsOf({ state: 'firing', source: 'cosmos-ibc', since });
    expect(alerts.map((a) => `${a.rule_id}:${a.labels.client_id}`).sort()).toEqual([
      'ibc-client-expiring:c-1',
      'ibc-client-expiry-imminent:c-0',
    ]);
    expect(await alertsOf({ since: new Date(h.clock.now() + 1000).toISOString() })).toEqual([]);
    expect(await alertsOf({ state: 'resolved', chain_id: 'api-1' })).toEqual([]);
    expect(
      (await alertsOf({ chain_id: 'api-1', rule_id: 'ibc-client-expiry-imminent' })).map(
        (a) => a.labels.client_id,
      ),
    ).toEqual(['c-0']);
    // The warning on c-0 is outranked by its critical: listed only on request.
    expect(await alertsOf({ chain_id: 'api-1', include_suppressed: true })).toHaveLength(3);
    const bad = await rpc('alerts', { state: 'burning', limit: 0 });
    expect(bad).toMatchObject({ ok: false, code: 'bad_request' });
    expect(!bad.ok && bad.issues).toEqual([
      expect.stringMatching(/^state: /),
      expect.stringMatching(/^limit: /),
    ]);

    const id = alerts[0]!.episode_id;
    const one = await rpc('alert', { id });
    expect(one.ok && (one.result.alert as Alert).episode_id).toBe(id);
    expect(one.ok && (one.result.timeline as { kind: string }[]).map((t) => t.kind)).toEqual([
      'firing',
      'notified',
    ]);
    expect(await rpc('alert', { id: '01JD0000000000000000000000' })).toMatchObject({
      ok: false,
      code: 'not_found',
    });
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
