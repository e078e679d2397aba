import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alerterService } from '@tocsin/alerter';
import { type RunningService, type ServiceDefinition, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleService } from '../services/console/src/index.ts';

// Fuzzing (fast-check, 1,000 requests a route) of the console's alert API in front of a real alerter: every route
// that takes a body or a query. A request is answered 2xx, 404 for an unknown id, or 400 naming the bad field
// (`body.<field>`, `query.<field>`, or the field of the alerter's RPC request); never 5xx, and both go on answering.

const RUNS = 1000;
// 1,000 HTTP round trips a property: generous for a loaded machine.
const LONG = 300_000;
const TOKEN = 'fuzz-api-token-0123456789';
let env: TestEnv;
let svc: RunningService;
let alerter: RunningService;

beforeAll(async () => {
  env = await testEnv('console-fuzz-http');
  const dir = mkdtempSync(join(tmpdir(), 'console-fuzz-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  chmodSync(tokenFile, 0o600);
  alerter = await startService(alerterService as ServiceDefinition, {
    env: env.env,
    argv: [],
    config: env.config,
  });
  svc = await startService(consoleService, {
    env: env.env,
    argv: [],
    config: { ...env.config, console: { token_file: tokenFile } },
  });
});
afterAll(async () => {
  await svc?.stop();
  await alerter?.stop();
  await env?.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };
const plausible = fc.constantFrom(
  'chain_id',
  'cosmoshub-4',
  '=',
  '!=',
  '=~',
  'api',
  60,
  3600,
  '24h',
  'firing',
  true,
);
const scalar = fc.oneof(
  { weight: 2, arbitrary: plausible },
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const matcher = fc.record({ name: scalar, op: scalar, value: scalar }, { requiredKeys: [] });
const silenceBody = fc.record(
  {
    by: scalar,
    matchers: fc.oneof(fc.array(matcher, { maxLength: 3 }), scalar),
    duration_s: scalar,
    ends_at: fc.oneof(
      scalar,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    reason: scalar,
  },
  { requiredKeys: [] },
);
const maintenanceBody = fc.record(
  {
    matchers: fc.oneof(fc.array(matcher, { maxLength: 3 }), scalar),
    weekly: fc.oneof(
      fc.record(
        {
          days: fc.oneof(fc.array(fc.constantFrom('mon', 'tue', 'sun', 'x'), { maxLength: 3 }), scalar),
          start: fc.oneof(fc.constantFrom('14:00', '23:59', '00:00', '25:00'), scalar),
          end: fc.oneof(fc.constantFrom('15:00', '14:00', '9:00'), scalar),
        },
        { requiredKeys: [] },
      ),
      scalar,
    ),
    cron: fc.oneof(fc.constantFrom('0 3 * * *', '61 * * * *', '* * 31 2 *', '@daily'), scalar),
    duration_s: scalar,
    timezone: fc.oneof(fc.constantFrom('Europe/Zurich', 'UTC', 'Mars/Olympus'), scalar),
    starts_at: fc.oneof(
      scalar,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    ends_at: fc.oneof(
      scalar,
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    name: scalar,
    reason: scalar,
    origin: scalar,
  },
  { requiredKeys: [] },
);
/** A body: structured, any JSON, or text that is not JSON at all. */
const body = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 5, arbitrary: structured.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  );

async function check(res: Response): Promise<void> {
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (res.status !== 400) return;
  const json = JSON.parse(text) as { error: string; message: string; issues?: string[] };
  expect(json.message.length).toBeGreaterThan(0);
  for (const issue of json.issues ?? []) expect(issue).toMatch(/^[a-z_]+(\.\S*)?: \S/s);
}

describe('console alert API over a real alerter', () => {
  it(
    'POST /api/silences',
    async () => {
      await fc.assert(
        fc.asyncProperty(body(silenceBody), async (b) => {
          const res = await fetch(`${svc.url}/api/silences`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: b,
          });
          await check(res);
        }),
        { numRuns: RUNS },
      );
    },
    LONG,
  );

  it(
    'POST /api/maintenance',
    async () => {
      await fc.assert(
        fc.asyncProperty(body(maintenanceBody), async (b) => {
          const res = await fetch(`${svc.url}/api/maintenance`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: b,
          });
          await check(res);
        }),
        { numRuns: RUNS },
      );
    },
    LONG,
  );

  it(
    'POST /api/alerts/:id/ack and DELETE /api/silences/:id, /api/maintenance/:id',
    async () => {
      const ack = fc.record({ by: scalar, note: scalar }, { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('POST', 'DELETE'),
          fc.string({ minLength: 1, maxLength: 30 }),
          body(ack),
          async (method, id, b) => {
            const path =
              method === 'POST'
                ? `/api/alerts/${encodeURIComponent(id)}/ack`
                : `/api/${id.length % 2 ? 'silences' : 'maintenance'}/${encodeURIComponent(id)}`;
            const res = await fetch(`${svc.url}${path}`, {
              method,
              headers: { ...auth, 'content-type': 'application/json' },
              body: b,
            });
            await check(res);
          },
        ),
        { numRuns: RUNS },
      );
    },
    LONG,
  );

  it(
    'GET /api/alerts, /api/alerts/:id, /api/silences and /api/maintenance with any query',
    async () => {
      const query = fc.dictionary(
        fc.constantFrom(
          'state',
          'source',
          'chain_id',
          'rule_id',
          'since',
          'limit',
          'include_suppressed',
          'active',
          'owner',
          'kind',
          'x',
        ),
        fc.oneof(plausible.map(String), fc.string({ maxLength: 20 })),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            '/api/alerts',
            '/api/silences',
            '/api/maintenance',
            '/api/alerts/01JD0000000000000000000000',
          ),
          query,
          async (path, q) => {
            const res = await fetch(`${svc.url}${path}?${new URLSearchParams(q)}`);
            await check(res);
          },
        ),
        { numRuns: RUNS },
      );
    },
    LONG,
  );

  it('still answers after all that', async () => {
    const res = await fetch(`${svc.url}/api/silences`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: [{ name: 'chain_id', value: 'x' }], duration_s: 60 }),
    });
    expect(res.status).toBe(201);
  });
});
