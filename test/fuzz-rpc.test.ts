import { alerterService } from '@tocsin/alerter';
import { cosmosIbcService } from '@tocsin/cosmos-ibc';
import { alerterRpc, cosmosIbcRpc } from '@tocsin/events';
import { type RunningService, type ServiceDefinition, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Fuzzing (fast-check, 1,000 requests a method) of every RPC method the alerter and cosmos-ibc serve, over NATS as
// the chat notifiers call them. Every request gets an answer (nothing stalls), a bad one a clear error (a code and a
// message, `bad_request` with issues naming the field), and none reaches past a handler's boundary as `internal`.

const RUNS = 1000;
let env: TestEnv;
let nc: Awaited<ReturnType<TestEnv['nats']>>;
const running: RunningService[] = [];

beforeAll(async () => {
  env = await testEnv('fuzz-rpc');
  nc = await env.nats();
  running.push(
    await startService(alerterService as ServiceDefinition, { env: env.env, argv: [], config: env.config }),
  );
  running.push(
    await startService(cosmosIbcService as ServiceDefinition, {
      env: env.env,
      argv: [],
      config: { ...env.config, cosmos_ibc: { auto_scan: false } },
    }),
  );
});
afterAll(async () => {
  for (const r of running.reverse()) await r.stop();
  await env?.cleanup();
});

// Values that pass some fields' validation (owners, ids, durations, kinds), so the fuzz reaches the handlers.
const plausible = fc.constantFrom(
  'discord:200000000000000001',
  'slack:U0ADMIN',
  'cosmoshub-4',
  '07-tendermint-0',
  '01J0000000000000000000000',
  'cosmos1fuzz',
  'wallet',
  'firing',
  3600,
  1,
  true,
  false,
);
const scalar = fc.oneof(
  { weight: 3, arbitrary: plausible },
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.jsonValue() },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.record({ name: scalar, op: fc.constantFrom('=', '!=', '=~', '!~', '~'), value: scalar }),
      {
        maxLength: 3,
      },
    ),
  },
);

/**
 * A valid request of every method that takes required fields (a method whose 1,000 requests all stop at validation
 * fails the test below); the fuzz changes, drops and adds fields.
 */
const VALID: Record<string, Record<string, unknown>> = {
  ack: { by: 'discord:200000000000000001', episode_id: '01J0000000000000000000000' },
  resolve: { by: 'slack:U0ADMIN', is_admin: true, episode_id: '01J0000000000000000000000' },
  silence: { by: 'slack:U0ADMIN', matchers: [{ name: 'chain_id', value: 'cosmoshub-4' }], duration_s: 60 },
  expire_silence: { by: 'slack:U0ADMIN', id: '01J0000000000000000000000' },
  maintenance: {
    by: 'slack:U0ADMIN',
    matchers: [{ name: 'chain_id', value: 'cosmoshub-4' }],
    duration_s: 3600,
  },
  end_maintenance: { by: 'slack:U0ADMIN', id: '01J0000000000000000000000' },
  subscribe: { owner: 'discord:200000000000000001', target: 'cosmos1fuzz', chain_id: 'cosmoshub-4' },
  unsubscribe: { by: 'discord:200000000000000001', target: 'cosmos1fuzz' },
  alert_subscribe: { owner: 'discord:200000000000000001', value: 'cosmoshub-4', cadence: 'hourly' },
  alert_unsubscribe: { by: 'discord:200000000000000001', value: 'cosmoshub-4' },
  alert: { id: '01J0000000000000000000000' },
  // Without it, both required fields drawn as non-empty strings (and `since` absent or valid) came up ~3 times in
  // 1,000 runs: about one run in fifteen never got past validation.
  wallet_history: { chain_id: 'cosmoshub-4', address: 'cosmos1fuzz' },
};

/** Requests for a method: its fields (valid, changed, dropped), the valid request, any JSON, or bytes that are not JSON. */
function requests(method: string, schema: unknown): fc.Arbitrary<Uint8Array> {
  const valid = VALID[method] ?? {};
  const keys = [
    ...new Set([
      ...Object.keys((schema as unknown as { shape?: object }).shape ?? {}),
      ...Object.keys(valid),
    ]),
  ];
  const field = (k: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(valid[k]) },
      { weight: 2, arbitrary: value },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  // A method with many fields rarely draws them all valid at once: the valid request itself is drawn too, so the
  // fuzz always reaches past validation (with 12 optional fields, 1,000 runs had a few percent chance to miss).
  return fc.oneof(
    { weight: 6, arbitrary: fc.record(Object.fromEntries(keys.map((k) => [k, field(k)]))).map(enc) },
    { weight: 1, arbitrary: fc.constant(valid).map(enc) },
    { weight: 2, arbitrary: fc.jsonValue().map(enc) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }) },
  );
}

const methods: [string, string, unknown][] = [
  ...Object.entries(alerterRpc).map(([m, d]): [string, string, unknown] => ['alerter', m, d.request]),
  ...Object.entries(cosmosIbcRpc).map(([m, d]): [string, string, unknown] => ['cosmos-ibc', m, d.request]),
];

describe('RPC requests', () => {
  it.each(methods)(
    '%s %s: every request answered with a result or a clear error',
    async (service, method, schema) => {
      const subject = env.subjects.rpc(service, method);
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(requests(method, schema), async (body) => {
          const msg = await nc.request(subject, body, { timeout: 10_000 });
          const reply = JSON.parse(new TextDecoder().decode(msg.data)) as
            | { ok: true; result: unknown }
            | { ok: false; error: { code: string; message: string; issues?: string[] } };
          if (reply.ok) return;
          codes.set(reply.error.code, (codes.get(reply.error.code) ?? 0) + 1);
          expect(reply.error.code, reply.error.message).not.toBe('internal');
          expect(reply.error.message.length).toBeGreaterThan(0);
          if (reply.error.code === 'bad_request' && reply.error.issues)
            for (const issue of reply.error.issues) expect(issue).toMatch(/^(\(root\)|[a-z_]+(\..*)?): \S/s);
        }),
        { numRuns: RUNS },
      );
      // The fuzz reached past validation too, or the method takes no fields.
      expect(codes.get('bad_request') ?? 0).toBeLessThan(RUNS);
    },
    // 1,000 round trips: generous for a loaded machine.
    300_000,
  );
});
