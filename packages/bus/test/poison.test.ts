import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { cosmosIbc, type EventEnvelope } from '@tocsin/events';
import { collect, eventually, notificationFixture, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AckFloorAge,
  createPublisher,
  type DeadLetter,
  decodeEvent,
  decodeNotification,
  EventValidationError,
  provisionConsumer,
  provisionStreams,
  startConsumeLoop,
  watchConsumer,
} from '../src/index.ts';

// Messages that can never be processed: each is dead-lettered once and never holds up the ones behind it, on this
// machine's NATS (2.9, where term(reason) is ignored) as on newer ones.

let env: TestEnv;
let nc: NatsConnection;
let jsm: JetStreamManager;
/** The test streams' duplicate window: short, so "not again after the window" is checked within the test. */
const WINDOW_MS = 1_000;

beforeAll(async () => {
  env = await testEnv('bus-poison');
  nc = await env.nats();
  jsm = await provisionStreams(nc, env.subjects, { duplicateWindowMs: WINDOW_MS });
});
afterAll(async () => env.cleanup());

const notificationLike = notificationFixture();
const endpointError = { endpoint: 'http://x', query: 'status', reason: 'timeout', kind: 'timeout' as const };

async function consumerOn(
  durable: string,
  filterSubject: string,
  opts: { ackWaitMs?: number; maxAckPending?: number } = {},
) {
  await provisionConsumer(jsm, { stream: env.subjects.streams.events, durable, filterSubject, ...opts });
}

function loopOn(
  durable: string,
  handler: (e: EventEnvelope) => Promise<void>,
  opts: Partial<Parameters<typeof startConsumeLoop<EventEnvelope>>[0]> = {},
) {
  return startConsumeLoop<EventEnvelope>({
    nc,
    stream: env.subjects.streams.events,
    durable,
    deadLetterSubject: env.subjects.deadLetter('events', durable),
    decode: decodeEvent(),
    handler,
    backoffMs: () => 20,
    ...opts,
  });
}

/** Dead-letter copies stored in the DLQ stream for one consumer (what an operator would find). */
async function storedDeadLetters(durable: string): Promise<number> {
  const subject = env.subjects.deadLetter('events', durable);
  const info = await jsm.streams.info(env.subjects.streams.deadLetter, { subjects_filter: subject });
  return info.state.subjects?.[subject] ?? 0;
}

/**
 * Resolves once the DLQ stream's duplicate window has run out since the call, measured by the server itself: a
 * probe id published now is reported as a duplicate until the window has passed.
 */
async function duplicateWindowPassed(): Promise<void> {
  const js = createPublisher({ nc, subjects: env.subjects, instance: 'x' }).js;
  const subject = env.subjects.deadLetter('events', 'window-probe');
  const msgID = `probe:${Date.now()}:${Math.random()}`;
  await js.publish(subject, '{}', { msgID });
  await eventually(
    async () => !(await js.publish(subject, '{}', { msgID })).duplicate,
    WINDOW_MS * 20,
    'the duplicate window to pass',
  );
}

describe('poison messages', () => {
  it('a handler that fails forever (not a validation error) gives up after max_deliver and frees its slot', async () => {
    const durable = 'fails-forever';
    const subject = env.subjects.event('cosmos-ibc', 'endpoint_error');
    // Three ack-pending slots: before the fix, three messages that always fail held them forever.
    await consumerOn(durable, subject, { maxAckPending: 3 });
    const dlq = collect<DeadLetter>(nc, env.subjects.deadLetter('events', durable));
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    const loop = loopOn(
      durable,
      async (e) => {
        attempts.set(e.dedup_key, (attempts.get(e.dedup_key) ?? 0) + 1);
        if (e.dedup_key.startsWith('bad')) throw new Error('relation "gone" does not exist');
        handled.push(e.dedup_key);
      },
      { maxDeliver: 3 },
    );
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    for (const k of ['bad-1', 'bad-2', 'bad-3', 'good'])
      await p.publish(cosmosIbc.endpointError, { chain_id: 'c', dedup_key: k, data: endpointError });
    await eventually(() => handled.includes('good'), 20_000, 'the good message behind three failing ones');
    await dlq.waitFor(3);
    expect(dlq.items.map((d) => JSON.parse(d.payload).dedup_key).sort()).toEqual(['bad-1', 'bad-2', 'bad-3']);
    for (const d of dlq.items) {
      expect(d.reason).toMatch(/3 deliveries/);
      expect(d.reason).toContain('relation "gone" does not exist');
      expect(d.deliveries).toBe(3);
    }
    expect([...attempts.entries()].filter(([k]) => k.startsWith('bad')).map(([, n]) => n)).toEqual([3, 3, 3]);
    await loop.stop();
    dlq.stop();
  });

  it('an outage (a dependency unavailable) never dead-letters the message, past max_deliver too: it is retried until the dependency is back', async () => {
    const durable = 'outage';
    const subject = env.subjects.event('cosmos-ibc', 'client_status');
    await consumerOn(durable, subject);
    const dlq = collect<DeadLetter>(nc, env.subjects.deadLetter('events', durable));
    let calls = 0;
    const loop = startConsumeLoop({
      nc,
      stream: env.subjects.streams.events,
      durable,
      deadLetterSubject: env.subjects.deadLetter('events', durable),
      decode: (raw) => ({ ok: true, value: raw }),
      handler: async () => {
        calls++;
        if (calls <= 5)
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      backoffMs: () => 20,
      maxDeliver: 2,
    });
    await createPublisher({ nc, subjects: env.subjects, instance: 'x' }).js.publish(subject, '{}');
    await eventually(() => calls === 6, 20_000, 'the sixth delivery, after the outage');
    await eventually(
      async () => (await jsm.consumers.info(env.subjects.streams.events, durable)).num_ack_pending === 0,
      10_000,
      'the message acked',
    );
    expect(dlq.items).toEqual([]);
    await loop.stop();
    dlq.stop();
  });

  it('dead-letters an invalid message once: it is resolved, so it does not come back after the duplicate window', async () => {
    const durable = 'once';
    const subject = env.subjects.event('cosmos-ibc', 'scan_completed');
    await consumerOn(durable, subject, { ackWaitMs: 500 });
    const loop = loopOn(durable, async () => undefined);
    await createPublisher({ nc, subjects: env.subjects, instance: 'x' }).js.publish(subject, 'not json');
    await eventually(async () => (await storedDeadLetters(durable)) === 1, 15_000, 'the dead letter');
    // Before the fix the message was terminated with a reason, which NATS 2.9 ignores: it stayed pending, came
    // back after each ack wait (500 ms), and was stored again once the window (1 s) had passed.
    await duplicateWindowPassed();
    await duplicateWindowPassed();
    const info = await jsm.consumers.info(env.subjects.streams.events, durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(await storedDeadLetters(durable)).toBe(1);
    await loop.stop();
  }, 60_000);

  it('a dead-letter copy larger than max_payload is truncated to fit, and says so', async () => {
    const durable = 'oversized';
    const subject = env.subjects.event('cosmos-ibc', 'client_updated');
    await consumerOn(durable, subject);
    const dlq = collect<DeadLetter>(nc, env.subjects.deadLetter('events', durable));
    const loop = loopOn(durable, async () => undefined);
    const maxPayload = nc.info!.max_payload;
    // Not JSON, and every quote doubles in the copy's JSON: the copy cannot fit as it is.
    const body = `"${'"x'.repeat((maxPayload - 4_096) / 2)}`;
    const js = createPublisher({ nc, subjects: env.subjects, instance: 'x' }).js;
    await js.publish(subject, body);
    await js.publish(subject, 'small and bad');
    const [big, small] = await dlq.waitFor(2, 20_000);
    expect(big!.truncated).toBe(true);
    expect(big!.payload_bytes).toBe(Buffer.byteLength(body));
    expect(body.startsWith(big!.payload)).toBe(true);
    expect(big!.payload.length).toBeGreaterThan(maxPayload / 4);
    expect(big!.reason).toBe('invalid message');
    expect(big!.issues[0]).toMatch(/not JSON/);
    expect(small!.truncated).toBe(false);
    expect(small!.payload).toBe('small and bad');
    expect(await storedDeadLetters(durable)).toBe(2);
    await loop.stop();
    dlq.stop();
  });
});

describe('a dead-letter copy that cannot be published', () => {
  it('keeps the message (not acked), reports the consumer stuck, and dead-letters it once the stream is back', async () => {
    const durable = 'dlq-down';
    const subject = env.subjects.event('cosmos-ibc', 'wallet_balance');
    await consumerOn(durable, subject);
    // The dead-letter stream is gone (deleted by an operator, or its subjects changed): copies have nowhere to go.
    await jsm.streams.delete(env.subjects.streams.deadLetter);
    const attempts: number[] = [];
    const loop = loopOn(
      durable,
      async (_e) => {
        attempts.push(attempts.length + 1);
        throw new Error('always fails');
      },
      { maxDeliver: 2 },
    );
    const watch = watchConsumer({
      jsm,
      stream: env.subjects.streams.events,
      durable,
      loop,
      stuckAfterMs: 600_000,
      intervalMs: 100,
    });
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    await p.publish(cosmosIbc.walletBalance, {
      chain_id: 'c',
      dedup_key: 'unlucky',
      data: {
        address: 'cosmos1abc',
        denom: 'uatom',
        display_denom: 'ATOM',
        amount: '1',
        display_amount: 0.000001,
        burn_per_hour: null,
        projected_empty_at: null,
        projected_empty_s: null,
        subscribers: [],
      },
    });
    await eventually(() => watch.health.stuck, 20_000, 'the consumer reported stuck');
    expect(watch.health.reason).toMatch(/1 message\(s\) could not be dead-lettered/);
    expect(watch.health.ackPending).toBe(1);
    // The handler ran for the allowed deliveries only; later deliveries retry the copy, not the handler.
    expect(attempts).toEqual([1, 2]);
    await provisionStreams(nc, env.subjects, { duplicateWindowMs: WINDOW_MS });
    await eventually(
      async () => (await storedDeadLetters(durable)) === 1,
      20_000,
      'the dead letter, once the stream is back',
    );
    await eventually(async () => !(await watch.check()).stuck, 10_000, 'the consumer no longer stuck');
    const info = await jsm.consumers.info(env.subjects.streams.events, durable);
    expect(info.num_ack_pending).toBe(0);
    const copy = await jsm.streams.getMessage(env.subjects.streams.deadLetter, {
      last_by_subj: env.subjects.deadLetter('events', durable),
    });
    const dl = copy!.json<DeadLetter>();
    expect(dl.reason).toBe('failed 2 deliveries; last error: always fails');
    expect(dl.deliveries).toBeGreaterThan(2);
    expect(attempts).toEqual([1, 2]);
    watch.stop();
    await loop.stop();
  });
});

describe('text policy at the edge: NUL and lone surrogates are refused with their path', () => {
  it('at publish', async () => {
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    const err = await p
      .publish(cosmosIbc.endpointError, {
        chain_id: 'c',
        dedup_key: 'nul',
        data: { ...endpointError, reason: 'timeout\u0000 after 5 s' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(EventValidationError);
    expect(err.issues).toEqual(['data.reason: contains a NUL character (U+0000) at offset 7']);
    const n = await p
      .publishNotification({
        ...JSON.parse(JSON.stringify(notificationLike)),
        key: 'k\uD83D',
      })
      .catch((e) => e);
    expect(n).toBeInstanceOf(EventValidationError);
    expect(n.message).toMatch(/^invalid notification: key: contains a lone surrogate \(U\+D83D\)/);
    // One the caller built itself (the alerter's flush) is not parsed again, but its text is still checked.
    const built = await p
      .publishNotification(
        { ...JSON.parse(JSON.stringify(notificationLike)), key: 'k\uD83D' },
        { built: true },
      )
      .catch((e) => e);
    expect(built).toBeInstanceOf(EventValidationError);
    expect(built.message).toMatch(/^invalid notification: .*lone surrogate \(U\+D83D\)/);
  });

  it('at decode: the message is dead-lettered with the same issue lines', () => {
    const enc = new TextEncoder();
    const nul = decodeEvent()(enc.encode(JSON.stringify({ id: 'x', chain_id: 'a\u0000' })));
    expect(nul).toEqual({ ok: false, issues: ['chain_id: contains a NUL character (U+0000) at offset 1'] });
    const lone = decodeNotification(enc.encode(JSON.stringify({ ...notificationLike, key: '\uDE00' })));
    expect(lone).toEqual({
      ok: false,
      issues: ['key: contains a lone surrogate (U+DE00) at offset 0: not valid Unicode'],
    });
    // Bytes that are not UTF-8 at all (an encoded surrogate).
    expect(decodeNotification(Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]))).toEqual({
      ok: false,
      issues: ['(root): not valid UTF-8'],
    });
    expect(decodeNotification(enc.encode(JSON.stringify({ ...notificationLike, key: 'ok 🚀' }))).ok).toBe(
      true,
    );
  });
});

describe('ack floor age', () => {
  it('counts how long the floor stood still with messages pending, and resets when it moves or nothing is pending', () => {
    const a = new AckFloorAge();
    expect(a.observe(10, 0, 1_000)).toBe(0);
    expect(a.observe(10, 3, 2_000)).toBe(0);
    expect(a.observe(10, 3, 9_000)).toBe(7_000);
    expect(a.observe(12, 3, 10_000)).toBe(0);
    expect(a.observe(12, 1, 70_000)).toBe(60_000);
    expect(a.observe(12, 0, 71_000)).toBe(0);
    expect(a.observe(12, 1, 72_000)).toBe(0);
  });
});
