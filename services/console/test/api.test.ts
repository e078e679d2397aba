import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Alert, rpcContracts } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleService } from '../src/index.ts';
import { api, respond, secretFile } from './support.ts';

const TOKEN = 'console-test-token-51c9';
const EP = '01JD00000000000000000000A1';
const alert: Alert = {
  fingerprint: 'fp-1',
  episode_id: EP,
  rule_id: 'ibc-client-expiry-imminent',
  state: 'firing',
  severity: 'critical',
  source: 'cosmos-ibc',
  chain_id: 'hub-1',
  labels: { client_id: '07-tendermint-0' },
  summary: 'client 07-tendermint-0 expires in 2 h',
  description: '',
  started_at: '2026-12-04T10:00:00.000Z',
  resolved_at: null,
  value: 7200,
  acknowledged: null,
  silenced_by: [],
  escalated: false,
  mentions: [],
  links: [],
  event_id: null,
  retracted: null,
};
const silence = {
  id: 'sil-1',
  matchers: [{ name: 'chain_id', op: '=' as const, value: 'hub-1' }],
  starts_at: '2026-12-04T10:00:00.000Z',
  ends_at: '2026-12-04T11:00:00.000Z',
  author: 'user:console',
  reason: '',
  created_at: '2026-12-04T10:00:00.000Z',
};

let env: TestEnv;
let nc: NatsConnection;
let svc: RunningService;
let webDir: string;
const calls: Record<string, unknown[]> = {};

beforeAll(async () => {
  env = await testEnv('console-api');
  nc = await env.nats();
  webDir = mkdtempSync(join(tmpdir(), 'console-web-'));
  writeFileSync(
    join(webDir, 'index.html'),
    '<!doctype html><title>tocsin console</title><div id="app"></div>',
  );
  writeFileSync(join(webDir, 'app.js'), 'console.log(1)');
  svc = await startService(consoleService, {
    env: env.env,
    argv: [],
    config: { ...env.config, console: { token_file: secretFile(TOKEN), rpc_timeout: '2s', web_dir: webDir } },
  });
  const on = <S extends keyof typeof rpcContracts>(
    service: S,
    method: keyof (typeof rpcContracts)[S] & string,
    answer: (r: never) => Promise<unknown>,
  ) => {
    const r = respond(nc, env.subjects, rpcContracts, service, method as never, answer as never);
    calls[`${service}.${method}`] = r.requests;
  };
  on('alerter', 'alerts', async () => ({ alerts: [alert] }));
  on('alerter', 'alert', async (r: { id: string }) => {
    if (r.id !== EP)
      throw Object.assign(new (await import('@tocsin/bus')).RpcError('not_found', `no alert ${r.id}`));
    return { alert, timeline: [{ at: alert.started_at, kind: 'firing', detail: {} }] };
  });
  on('alerter', 'ack', async (r: { by: string }) => ({
    alert: { ...alert, acknowledged: { by: r.by, at: '2026-12-04T10:05:00.000Z' } },
  }));
  on('alerter', 'silences', async () => ({ silences: [silence] }));
  on('alerter', 'silence', async () => ({ silence }));
  on('alerter', 'expire_silence', async () => ({
    silence: { ...silence, ends_at: '2026-12-04T10:10:00.000Z' },
  }));
  on('cosmos-ibc', 'clients', async () => ({
    clients: [
      {
        chain_id: 'hub-1',
        client_id: '07-tendermint-0',
        client_type: '07-tendermint',
        counterparty_chain_id: 'osmo-1',
        status: 'Active',
        trusting_period_s: 1_209_600,
        remaining_s: 7200,
        elapsed_ratio: 0.99,
        last_update: '2026-11-21T12:00:00.000Z',
      },
    ],
    scanned_at: '2026-12-04T10:00:00.000Z',
    total: 1,
  }));
  on('cosmos-ibc', 'wallets', async () => ({
    wallets: [
      {
        chain_id: 'hub-1',
        address: 'cosmos1relayer',
        denom: 'uatom',
        display_denom: 'ATOM',
        display_amount: 1.5,
        projected_empty_s: 3600,
        observed_at: '2026-12-04T10:00:00.000Z',
      },
    ],
  }));
  on('cosmos-ibc', 'wallet_history', async () => ({
    denom: 'uatom',
    display_denom: 'ATOM',
    points: [
      { t: '2026-12-04T09:00:00.000Z', amount: 2 },
      { t: '2026-12-04T10:00:00.000Z', amount: 1.5 },
    ],
    projected_empty_at: '2026-12-04T13:00:00.000Z',
  }));
  on('subspace-blocks', 'series', async () => ({
    block_time: [{ t: '2026-12-04T10:00:06.000Z', height: 101, seconds: 6 }],
    slot_time: [{ t: '2026-12-04T10:00:06.000Z', seconds_per_slot: 1 }],
  }));
  on('harmony-signers', 'hosts', async () => ({
    hosts: [
      {
        hostname: 'main',
        validator_address: 'one1val',
        token_id: 'tok-1',
        mode: 'Normal',
        is_backup: false,
        shard_id: 0,
        blskeys: ['k1'],
        node_reachable: true,
        last_report_at: '2026-12-04T10:00:00.000Z',
        silent: false,
        owner: 'discord:1',
      },
    ],
    keys: ['k1'],
  }));
});

afterAll(async () => {
  await svc?.stop();
  await env?.cleanup();
});

describe('alerts and silences (the alerter over RPC)', () => {
  it('lists alerts, passing each filter to the alerter as the contract has it', async () => {
    const before = Date.now();
    const r = await api(
      svc,
      '/api/alerts?state=firing&source=cosmos-ibc&chain_id=hub-1&rule_id=r1&since=1h&limit=5',
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ alerts: [alert] });
    const req = calls['alerter.alerts']!.at(-1) as Record<string, unknown>;
    expect(req).toMatchObject({
      state: 'firing',
      source: 'cosmos-ibc',
      chain_id: 'hub-1',
      rule_id: 'r1',
      limit: 5,
    });
    const since = Date.parse(req.since as string);
    expect(since).toBeGreaterThanOrEqual(before - 3_600_000 - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() - 3_600_000 + 1000);
    await api(svc, '/api/alerts?since=2026-12-01T00:00:00Z');
    expect((calls['alerter.alerts']!.at(-1) as { since: string }).since).toBe('2026-12-01T00:00:00.000Z');
  });

  it('refuses a bad query with 400 naming each field', async () => {
    const r = await api(svc, '/api/alerts?state=burning&limit=0');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('bad_request');
    expect(r.body.issues).toEqual([
      expect.stringMatching(/^query\.state: /),
      expect.stringMatching(/^query\.limit: /),
    ]);
    const s = await api(svc, '/api/alerts?since=yesterday');
    expect(s.body.issues).toEqual([expect.stringMatching(/^query\.since: an RFC 3339 time/)]);
    expect((await api(svc, '/api/silences?active=maybe')).body.issues).toEqual([
      expect.stringMatching(/^query\.active: /),
    ]);
    expect((await api(svc, '/api/ibc/clients?limit=x')).body.issues).toEqual([
      expect.stringMatching(/^query\.limit: /),
    ]);
  });

  it('serves an alert with its timeline, and 404 for an unknown one', async () => {
    const r = await api(svc, `/api/alerts/${EP}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ alert, timeline: [{ at: alert.started_at, kind: 'firing', detail: {} }] });
    const missing = await api(svc, '/api/alerts/01JD0000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      error: 'not_found',
      message: 'no alert 01JD0000000000000000000000',
    });
  });

  it('acknowledges only with the login token, as the configured actor', async () => {
    const path = `/api/alerts/${EP}/ack`;
    const none = await api(svc, path, { method: 'POST', body: { note: 'x' } });
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/Authorization: Bearer/);
    expect((await api(svc, path, { method: 'POST', body: {}, token: 'wrong' })).status).toBe(401);
    const n = calls['alerter.ack']!.length;
    expect(n).toBe(0);
    const ok = await api(svc, path, { method: 'POST', body: { note: 'on it' }, token: TOKEN });
    expect(ok.status).toBe(200);
    expect((ok.body.alert as Alert).acknowledged?.by).toBe('user:console');
    expect(calls['alerter.ack']).toEqual([
      { by: 'user:console', is_admin: true, episode_id: EP, note: 'on it' },
    ]);
    const tooLong = await api(svc, path, { method: 'POST', body: { note: 'x'.repeat(501) }, token: TOKEN });
    expect(tooLong.body.issues).toEqual([expect.stringMatching(/^body\.note: /)]);
  });

  it('lists, creates and expires silences; writes need the token', async () => {
    expect((await api(svc, '/api/silences?active=false')).body).toEqual({ silences: [silence] });
    expect(calls['alerter.silences']!.at(-1)).toEqual({ active: false });
    const body = { matchers: [{ name: 'chain_id', value: 'hub-1' }], duration_s: 3600, reason: 'upgrade' };
    expect((await api(svc, '/api/silences', { method: 'POST', body })).status).toBe(401);
    const made = await api(svc, '/api/silences', { method: 'POST', body, token: TOKEN });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({ silence });
    expect(calls['alerter.silence']!.at(-1)).toMatchObject({ ...body, by: 'user:console' });
    const noEnd = await api(svc, '/api/silences', {
      method: 'POST',
      body: { matchers: body.matchers },
      token: TOKEN,
    });
    expect(noEnd.status).toBe(400);
    expect(noEnd.body.issues).toEqual(['body.duration_s: duration_s or ends_at is required']);
    const noMatchers = await api(svc, '/api/silences', {
      method: 'POST',
      body: { duration_s: 60 },
      token: TOKEN,
    });
    expect(noMatchers.body.issues).toEqual([expect.stringMatching(/^body\.matchers: /)]);
    expect((await api(svc, '/api/silences/sil-1', { method: 'DELETE' })).status).toBe(401);
    const gone = await api(svc, '/api/silences/sil-1', { method: 'DELETE', token: TOKEN });
    expect(gone.status).toBe(200);
    expect(calls['alerter.expire_silence']).toEqual([{ id: 'sil-1', by: 'user:console', is_admin: true }]);
  });

  it('says whether the request carries the token', async () => {
    expect((await api(svc, '/api/session')).body).toEqual({ authenticated: false, writable: true });
    expect((await api(svc, '/api/session', { token: 'nope' })).body).toEqual({
      authenticated: false,
      writable: true,
    });
    expect((await api(svc, '/api/session', { token: TOKEN })).body).toEqual({
      authenticated: true,
      writable: true,
    });
  });
});

describe('ingestors (their RPC)', () => {
  it('serves IBC clients, wallets and a wallet history with the ingestor’s answer', async () => {
    const c = await api(svc, '/api/ibc/clients?chain_id=hub-1&status=Active&limit=10');
    expect(c.status).toBe(200);
    expect((c.body.clients as unknown[]).length).toBe(1);
    expect(calls['cosmos-ibc.clients']!.at(-1)).toEqual({ chain_id: 'hub-1', status: 'Active', limit: 10 });
    const w = await api(svc, '/api/wallets?chain_id=hub-1');
    expect((w.body.wallets as { address: string }[])[0]!.address).toBe('cosmos1relayer');
    const h = await api(svc, '/api/wallets/hub-1/cosmos1relayer/history?since=2026-12-04T00:00:00Z');
    expect(h.status).toBe(200);
    expect(h.body.points).toEqual([
      { t: '2026-12-04T09:00:00.000Z', amount: 2 },
      { t: '2026-12-04T10:00:00.000Z', amount: 1.5 },
    ]);
    expect(h.body.projected_empty_at).toBe('2026-12-04T13:00:00.000Z');
    expect(calls['cosmos-ibc.wallet_history']!.at(-1)).toEqual({
      chain_id: 'hub-1',
      address: 'cosmos1relayer',
      since: '2026-12-04T00:00:00Z',
    });
  });

  it('serves Subspace series and the Harmony keys × hosts', async () => {
    const s = await api(svc, '/api/subspace/series');
    expect(s.body).toEqual({
      block_time: [{ t: '2026-12-04T10:00:06.000Z', height: 101, seconds: 6 }],
      slot_time: [{ t: '2026-12-04T10:00:06.000Z', seconds_per_slot: 1 }],
    });
    const h = await api(svc, '/api/harmony/hosts');
    expect(h.body.keys).toEqual(['k1']);
    expect((h.body.hosts as { mode: string; owner: string }[])[0]).toMatchObject({
      mode: 'Normal',
      owner: 'discord:1',
    });
  });

  it('answers 503 naming the service when nobody answers, without hanging', async () => {
    const ics = await api(svc, '/api/ics/consumers');
    expect(ics.status).toBe(503);
    expect(ics.body).toMatchObject({ error: 'unavailable' });
    expect(ics.body.message).toMatch(/the ics-ccv ingestor \(ics-ccv\) did not answer/);
    const sub = await api(svc, '/api/subspace/status');
    expect(sub.status).toBe(503);
    expect(sub.body.message).toMatch(/subspace-blocks/);
  });
});

describe('the page, unknown routes and the OpenAPI document', () => {
  it('serves the dashboard and index.html for client routes; unknown API routes are a JSON 404', async () => {
    const root = await api(svc, '/');
    expect(root.status).toBe(200);
    expect(root.type).toMatch(/text\/html/);
    expect(root.body.text).toContain('<div id="app">');
    expect((await api(svc, '/app.js')).body.text).toBe('console.log(1)');
    expect((await api(svc, '/silences')).body.text).toContain('<div id="app">');
    const nope = await api(svc, '/api/nope');
    expect(nope.status).toBe(404);
    expect(nope.body).toEqual({ error: 'not_found', message: 'no route GET /api/nope' });
    expect((await api(svc, '/anything', { method: 'POST', body: {} })).status).toBe(404);
  });

  it('publishes a valid OpenAPI document covering every API route, and Swagger UI', async () => {
    const SwaggerParser = (await import('@apidevtools/swagger-parser')).default;
    const doc = (await api(svc, '/api/openapi.json')).body;
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
    expect(Object.keys(doc.paths as object).sort()).toEqual([
      '/api/alerts',
      '/api/alerts/{id}',
      '/api/alerts/{id}/ack',
      '/api/harmony/hosts',
      '/api/ibc/clients',
      '/api/ics/consumers',
      '/api/maintenance',
      '/api/maintenance/{id}',
      '/api/session',
      '/api/silences',
      '/api/silences/{id}',
      '/api/stream',
      '/api/subspace/series',
      '/api/subspace/status',
      '/api/wallets',
      '/api/wallets/{chain_id}/{address}/history',
    ]);
    // The contract's shared shapes are named components, referenced from the routes.
    const schemas = (doc.components as { schemas: Record<string, unknown> }).schemas;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['Alert', 'Silence', 'TimelineItem', 'IbcClient', 'MaintenanceWindow']),
    );
    expect(JSON.stringify((doc.paths as Record<string, unknown>)['/api/alerts'])).toContain(
      '"$ref":"#/components/schemas/Alert"',
    );
    const docs = await svc.ctx.http.inject('/api/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });
});
