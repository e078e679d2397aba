import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { cosmosIbc, type EventEnvelope } from '@tocsin/events';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  callRpc,
  createPublisher,
  type DeadLetter,
  decodeEvent,
  EventValidationError,
  PermanentError,
  provisionConsumer,
  provisionStreams,
  RpcError,
  serveRpc,
  startConsumeLoop,
} from '../src/index.ts';

let env: TestEnv;
let nc: NatsConnection;

const balance = (amount: string) => ({
  address: 'cosmos1abc',
  denom: 'uatom',
  display_denom: 'ATOM',
  amount,
  display_amount: Number(amount) / 1e6,
  burn_per_hour: null,
  projected_empty_at: null,
  projected_empty_s: null,
  subscribers: [],
});

beforeAll(async () => {
  env = await testEnv('bus');
  nc = await env.nats();
  await provisionStreams(nc, env.subjects);
});
afterAll(async () => env.cleanup());

/** A durable consumer on the test's events stream, filtered to `filterSubject`. */
async function provision(durable: string, filterSubject: string, ackWaitMs?: number) {
  const jsm = await jetstreamManager(nc);
  await provisionConsumer(jsm, {
    stream: env.subjects.streams.events,
    durable,
    filterSubject,
    ...(ackWaitMs ? { ackWaitMs } : {}),
  });
  return jsm;
}

/** A consume loop on that consumer, decoding events, dead-lettering to the consumer's own subject. */
function loopOn(
  durable: string,
  handler: Parameters<typeof startConsumeLoop<EventEnvelope>>[0]['handler'],
  opts: { backoffMs?: (n: number) => number; ackWaitMs?: number } = {},
) {
  return startConsumeLoop({
    nc,
    stream: env.subjects.streams.events,
    durable,
    deadLetterSubject: env.subjects.deadLetter('events', durable),
    decode: decodeEvent(),
    handler,
    ...opts,
  });
}

describe('publish', () => {
  it('stores an event once when two publisher instances send the same dedup_key', async () => {
    const a = createPublisher({ nc, subjects: env.subjects, instance: 'node-a' });
    const nc2 = await env.nats();
    const b = createPublisher({ nc: nc2, subjects: env.subjects, instance: 'node-b' });
    const input = { chain_id: 'cosmoshub-4', dedup_key: 'cosmos1abc:uatom:h100', data: balance('5000000') };
    const first = await a.publish(cosmosIbc.walletBalance, input);
    const second = await b.publish(cosmosIbc.walletBalance, input);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(env.subjects.streams.events, {
      subjects_filter: env.subjects.event('cosmos-ibc', 'wallet_balance'),
    });
    expect(info.state.subjects?.[env.subjects.event('cosmos-ibc', 'wallet_balance')]).toBe(1);
  });

  it('refuses an invalid event at publish, naming the field by its path', async () => {
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    const err = await p
      .publish(cosmosIbc.walletBalance, {
        chain_id: 'c',
        dedup_key: 'k',
        data: { ...balance('1'), amount: 'lots' },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(EventValidationError);
    expect((err as EventValidationError).issues).toEqual([expect.stringMatching(/^data\.amount: /)]);
  });
});

describe('consume loop', () => {
  it('dead-letters a malformed message and keeps processing the next ones', async () => {
    const durable = 'dlq-test';
    const subj = env.subjects.event('cosmos-ibc', 'wallet_balance');
    await provision(durable, env.subjects.events('cosmos-ibc'));
    const dlq = collect<DeadLetter>(nc, env.subjects.deadLetter('events', durable));
    const seen: EventEnvelope[] = [];
    const loop = loopOn(durable, async (e) => {
      seen.push(e);
    });
    const js = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    await js.js.publish(subj, 'this is not json');
    await js.js.publish(subj, JSON.stringify({ id: 'x', source: 'cosmos-ibc' }));
    await js.publish(cosmosIbc.walletBalance, { chain_id: 'c', dedup_key: 'after-bad', data: balance('7') });
    await dlq.waitFor(2);
    await eventually(() => seen.some((e) => e.dedup_key === 'after-bad'), 10_000, 'the good message');
    expect(dlq.items[0]!.reason).toBe('invalid message');
    expect(dlq.items[0]!.payload).toBe('this is not json');
    expect(dlq.items[1]!.issues).toEqual(expect.arrayContaining([expect.stringMatching(/^type: /)]));
    await loop.stop();
    dlq.stop();
  });

  it('retries a failing handler with backoff and dead-letters a PermanentError', async () => {
    const durable = 'retry-test';
    await provision(durable, env.subjects.event('cosmos-ibc', 'endpoint_error'));
    const dlq = collect<DeadLetter>(nc, env.subjects.deadLetter('events', durable));
    const attempts = new Map<string, number>();
    const done: string[] = [];
    const loop = loopOn(
      durable,
      async (e) => {
        const n = (attempts.get(e.dedup_key) ?? 0) + 1;
        attempts.set(e.dedup_key, n);
        if (e.dedup_key === 'flaky' && n < 3) throw new Error('database briefly down');
        if (e.dedup_key === 'poison') throw new PermanentError('cannot be handled');
        done.push(e.dedup_key);
      },
      { backoffMs: () => 10 },
    );
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    const data = { endpoint: 'http://x', query: 'status', reason: 'timeout', kind: 'timeout' as const };
    await p.publish(cosmosIbc.endpointError, { chain_id: 'c', dedup_key: 'flaky', data });
    await p.publish(cosmosIbc.endpointError, { chain_id: 'c', dedup_key: 'poison', data });
    await dlq.waitFor(1);
    await eventually(() => done.includes('flaky'), 10_000, 'flaky to succeed');
    expect(attempts.get('flaky')).toBe(3);
    expect(attempts.get('poison')).toBe(1);
    expect(dlq.items[0]!.reason).toBe('cannot be handled');
    await loop.stop();
    dlq.stop();
  });

  it('extends the ack deadline of slow work, so another replica does not get the message meanwhile', async () => {
    const durable = 'slow-work';
    const jsm = await provision(durable, env.subjects.event('cosmos-ibc', 'client_updated'), 1_000);
    const calls: string[] = [];
    // Two replicas on one durable consumer; whichever gets the message works on it for 2.5 ack waits (JetStream's
    // ack wait runs on the server's clock, so this wait is real time).
    const replica = (name: string) =>
      loopOn(
        durable,
        async (_e, ctx) => {
          calls.push(`${name}:${ctx.deliveryCount}`);
          await new Promise((r) => setTimeout(r, 2_500));
        },
        { ackWaitMs: 1_000 },
      );
    const loops = [replica('a'), replica('b')];
    const p = createPublisher({ nc, subjects: env.subjects, instance: 'x' });
    await p.publish(cosmosIbc.clientUpdated, {
      chain_id: 'c',
      dedup_key: 'slow',
      data: {
        client_id: '07-tendermint-0',
        counterparty_chain_id: 'osmosis-1',
        previous_height: { revision_number: '1', revision_height: '52341' },
        latest_height: { revision_number: '1', revision_height: '52900' },
        last_update: '2026-11-21T12:00:00Z',
      },
    });
    await eventually(
      async () => {
        const info = await jsm.consumers.info(env.subjects.streams.events, durable);
        return info.ack_floor.stream_seq === info.delivered.stream_seq && calls.length > 0;
      },
      20_000,
      'the message acked',
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^[ab]:1$/);
    await Promise.all(loops.map((l) => l.stop()));
  }, 30_000);

  it('stops when asked before it has subscribed, and keeps no subscription open', async () => {
    const durable = 'stop-early';
    const jsm = await provision(durable, env.subjects.event('cosmos-ibc', 'scan_completed'));
    const loop = loopOn(durable, async () => undefined);
    // Before the fix, the subscription made after this stop() was never closed and stop() never returned.
    await loop.stop();
    await loop.done;
    await eventually(
      async () => (await jsm.consumers.info(env.subjects.streams.events, durable)).num_waiting === 0,
      15_000,
      'no pull request left waiting on the consumer',
    );
  }, 20_000);
});

describe('rpc', () => {
  it('validates requests, returns results and coded errors', async () => {
    const subject = env.subjects.rpc('alerter', 'ack');
    const sub = serveRpc({
      nc,
      subject,
      schema: z.object({ id: z.string().min(1), by: z.string() }),
      handler: async (req) => {
        if (req.id === 'missing') throw new RpcError('not_found', `no alert ${req.id}`);
        return { acknowledged: req.id, by: req.by };
      },
    });
    await expect(callRpc(nc, subject, { id: 'a1', by: 'discord:1' })).resolves.toEqual({
      acknowledged: 'a1',
      by: 'discord:1',
    });
    const bad = (await callRpc(nc, subject, { id: '' }).catch((e) => e)) as RpcError;
    expect(bad).toBeInstanceOf(RpcError);
    expect(bad.code).toBe('bad_request');
    expect(bad.issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^id: /), expect.stringMatching(/^by: /)]),
    );
    await expect(callRpc(nc, subject, { id: 'missing', by: 'x' })).rejects.toMatchObject({
      code: 'not_found',
    });
    sub.unsubscribe();
    await expect(callRpc(nc, subject, { id: 'a', by: 'b' }, 300)).rejects.toMatchObject({
      code: 'unavailable',
    });
  });
});
