import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerterService } from '../src/index.ts';

// Fuzzing (fast-check, 1,000 requests a route) of the alerter's HTTP API: every route that takes a body or a query.
// A request is answered 2xx, 404 for an unknown id, or 400 naming the bad field (`body.<field>`, `query.<field>`);
// never 5xx, and the service goes on answering.

const RUNS = 1000;
// 1,000 HTTP round trips a property: generous for a loaded machine.
const LONG = 300_000;
const TOKEN = 'fuzz-api-token-0123456789';
let env: TestEnv;
let svc: RunningService;

beforeAll(async () => {
  env = await testEnv('alerter-fuzz-http');
  const dir = mkdtempSync(join(tmpdir(), 'alerter-fuzz-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  chmodSync(tokenFile, 0o600);
  svc = await startService(alerterService, {
    env: env.env,
    argv: [],
    config: { ...env.config, alerter: { api_token_file: tokenFile } },
  });
});
afterAll(async () => {
  await svc?.stop();
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
  for (const issue of json.issues ?? []) expect(issue).toMatch(/^(body|query)(\.\S*)?: \S/s);
}

describe('alerter HTTP API', () => {
  it(
    'POST /silences',
    async () => {
      await fc.assert(
        fc.asyncProperty(body(silenceBody), async (b) => {
          const res = await fetch(`${svc.url}/silences`, {
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
    'POST /alerts/:id/ack and DELETE /silences/:id',
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
                ? `/alerts/${encodeURIComponent(id)}/ack`
                : `/silences/${encodeURIComponent(id)}`;
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
    'GET /alerts, /silences and /subscriptions with any query',
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
          fc.constantFrom('/alerts', '/silences', '/subscriptions'),
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
    const res = await fetch(`${svc.url}/silences`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'api', matchers: [{ name: 'chain_id', value: 'x' }], duration_s: 60 }),
    });
    expect(res.status).toBe(201);
  });
});
