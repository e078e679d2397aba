import type { NatsConnection } from '@nats-io/transport-node';
import { RpcError } from '@tocsin/bus';
import { type MaintenanceWindow, rpcContracts } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleService } from '../src/index.ts';
import { api, respond, secretFile } from './support.ts';

// Maintenance windows from the console: the alerter's `maintenance`, `maintenances` and `end_maintenance` RPC (the
// ones chat's `$maintenance` calls), answered here on the real NATS with the contract's schemas.
const TOKEN = 'console-maintenance-token-7e21';
const WINDOW: MaintenanceWindow = {
  id: '01JD00000000000000000000M1',
  name: 'osmosis-upgrades',
  matchers: [{ name: 'chain_id', op: '=', value: 'osmosis-1' }],
  times: { weekly: { days: ['tue'], start: '14:00', end: '15:00' }, timezone: 'Europe/Zurich' },
  origin: 'api',
  author: 'user:console',
  reason: 'node upgrades',
  created_at: '2026-12-04T10:00:00.000Z',
  ended_at: null,
  active: false,
  next: { starts_at: '2026-12-08T13:00:00.000Z', ends_at: '2026-12-08T14:00:00.000Z' },
};

let env: TestEnv;
let nc: NatsConnection;
let svc: RunningService;
const calls: Record<string, unknown[]> = {};

beforeAll(async () => {
  env = await testEnv('console-maintenance');
  nc = await env.nats();
  svc = await startService(consoleService, {
    env: env.env,
    argv: [],
    config: { ...env.config, console: { token_file: secretFile(TOKEN), rpc_timeout: '2s' } },
  });
  calls.create = respond(nc, env.subjects, rpcContracts, 'alerter', 'maintenance', async (r) => {
    // The alerter checks the times (maintenance/schedule.ts); a bad one is its bad_request.
    if (r.timezone === 'Europe/Zurch')
      throw new RpcError('bad_request', 'timezone: unknown time zone "Europe/Zurch"');
    return { maintenance: { ...WINDOW, matchers: r.matchers, reason: r.reason, author: r.by } };
  }).requests;
  calls.list = respond(nc, env.subjects, rpcContracts, 'alerter', 'maintenances', async () => ({
    maintenances: [WINDOW],
  })).requests;
  calls.end = respond(nc, env.subjects, rpcContracts, 'alerter', 'end_maintenance', async (r) => {
    if (r.id !== WINDOW.id) throw new RpcError('not_found', `no maintenance window ${r.id}`);
    return { maintenance: { ...WINDOW, ended_at: '2026-12-04T11:00:00.000Z', next: null } };
  }).requests;
});

afterAll(async () => {
  await svc?.stop();
  await env?.cleanup();
});

it('lists maintenance windows (active ones by default; all with active=false), no token needed', async () => {
  const r = await api(svc, '/api/maintenance');
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ maintenances: [WINDOW] });
  await api(svc, '/api/maintenance?active=false');
  expect(calls.list).toEqual([{ active: true }, { active: false }]);
});

it('creates a recurring window with the login token, as the configured actor, origin api', async () => {
  const body = {
    matchers: [{ name: 'chain_id', value: 'osmosis-1' }],
    weekly: { days: ['tue'], start: '14:00', end: '15:00' },
    timezone: 'Europe/Zurich',
    reason: 'node upgrades',
  };
  expect((await api(svc, '/api/maintenance', { method: 'POST', body })).status).toBe(401);
  expect((await api(svc, '/api/maintenance', { method: 'POST', body, token: 'wrong-token' })).status).toBe(
    401,
  );
  expect(calls.create).toEqual([]);
  const made = await api(svc, '/api/maintenance', { method: 'POST', body, token: TOKEN });
  expect(made.status).toBe(201);
  expect((made.body.maintenance as MaintenanceWindow).author).toBe('user:console');
  expect(calls.create!.at(-1)).toEqual({
    ...body,
    matchers: [{ name: 'chain_id', op: '=', value: 'osmosis-1' }],
    by: 'user:console',
    is_admin: true,
    origin: 'api',
  });
  // A one-off: two hours from now.
  const once = await api(svc, '/api/maintenance', {
    method: 'POST',
    body: { matchers: body.matchers, duration_s: 7200 },
    token: TOKEN,
  });
  expect(once.status).toBe(201);
  expect(calls.create!.at(-1)).toMatchObject({ duration_s: 7200, timezone: 'UTC', origin: 'api' });
});

it('refuses a bad window with 400: the fields the console checks, and the times the alerter checks', async () => {
  const noMatchers = await api(svc, '/api/maintenance', {
    method: 'POST',
    body: { matchers: [], weekly: { days: ['tue'], start: '25:00', end: '15:00' } },
    token: TOKEN,
  });
  expect(noMatchers.status).toBe(400);
  expect(noMatchers.body.issues).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^body\.matchers: /),
      expect.stringMatching(/^body\.weekly\.start: a time of day like 14:00/),
    ]),
  );
  // The origin is the console's to set: a body cannot claim to be the config.
  const origin = await api(svc, '/api/maintenance', {
    method: 'POST',
    body: { matchers: [{ name: 'chain_id', value: 'x' }], duration_s: 60, origin: 'config' },
    token: TOKEN,
  });
  expect(origin.status).toBe(201);
  expect(calls.create!.at(-1)).toMatchObject({ origin: 'api' });
  const zone = await api(svc, '/api/maintenance', {
    method: 'POST',
    body: {
      matchers: [{ name: 'chain_id', value: 'x' }],
      weekly: { days: ['tue'], start: '14:00', end: '15:00' },
      timezone: 'Europe/Zurch',
    },
    token: TOKEN,
  });
  expect(zone.status).toBe(400);
  expect(zone.body.message).toContain('unknown time zone "Europe/Zurch"');
});

it('ends a window with the login token; 404 for an unknown one', async () => {
  const path = `/api/maintenance/${WINDOW.id}`;
  expect((await api(svc, path, { method: 'DELETE' })).status).toBe(401);
  const ended = await api(svc, path, { method: 'DELETE', token: TOKEN });
  expect(ended.status).toBe(200);
  expect((ended.body.maintenance as MaintenanceWindow).ended_at).toBe('2026-12-04T11:00:00.000Z');
  expect(calls.end).toEqual([{ id: WINDOW.id, by: 'user:console', is_admin: true }]);
  const missing = await api(svc, '/api/maintenance/01JD00000000000000000000ZZ', {
    method: 'DELETE',
    token: TOKEN,
  });
  expect(missing.status).toBe(404);
});
