import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.ts';

// Fuzzing (fast-check, 1,000 requests an endpoint) of the bodies the Slack endpoints take, correctly signed so
// they get past the signature check: form bodies with any fields and values (a `payload` of any JSON, for
// interactions), and bodies that are not forms at all. Each gets 200 or a 400 that says what is wrong; never 5xx,
// and the service goes on answering. (What a well-formed interaction or command does is tested elsewhere.)

const RUNS = 1000;
let h: Harness;

beforeAll(async () => {
  h = await startHarness('slack-fuzz-endpoints');
});
afterAll(async () => h?.close());

const text = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    '/tocsin',
    'help',
    'alerts',
    'U0ADMIN',
    'C0ALERTS',
    'block_actions',
    'https://example.org/r',
  ),
);
const form = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom(
        'command',
        'text',
        'user_id',
        'user_name',
        'channel_id',
        'response_url',
        'payload',
        'team_id',
      ),
      fc.string({ maxLength: 10 }),
    ),
    fc.oneof(
      text,
      fc.jsonValue().map((v) => JSON.stringify(v)),
    ),
  )
  .map((d) => new URLSearchParams(d).toString());
const bodies = fc.oneof(
  { weight: 4, arbitrary: form },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

// The clock stands still, so a body sent twice (fast-check repeats some, on either endpoint) is the same signed
// request: a replay, refused with 409 whichever endpoint it reaches.
const sent = new Set<string>();

describe('Slack endpoints', () => {
  it.each(['/slack/commands', '/slack/interactions'])(
    '%s: any signed body gets 200 or a 400 that says why',
    async (path) => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(bodies, async (body) => {
          const res = await h.post(path, body);
          const answer = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const replay = sent.has(body);
          sent.add(body);
          if (replay) {
            expect(res.status, answer).toBe(409);
            return;
          }
          expect([200, 400], answer).toContain(res.status);
          if (res.status === 400)
            expect((JSON.parse(answer) as { error: string }).error.length).toBeGreaterThan(0);
        }),
        { numRuns: RUNS },
      );
      // Both outcomes were reached.
      expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    },
    300_000,
  );

  it('still answers a good command after all that', async () => {
    const body = new URLSearchParams({
      command: '/tocsin',
      text: 'help',
      user_id: 'U0ADMIN',
      channel_id: 'C0ALERTS',
    });
    const res = await h.post('/slack/commands', body.toString());
    expect(res.status).toBe(200);
  });
});
