import type { NatsConnection } from '@nats-io/transport-node';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable, provisionStreams, StreamPublishError, StreamPublisher } from '../src/index.ts';

let env: TestEnv;
let nc: NatsConnection;

beforeAll(async () => {
  env = await testEnv('stream-publish');
  nc = await env.nats();
  await provisionStreams(nc, env.subjects);
});
afterAll(async () => env.cleanup());

describe('StreamPublisher', () => {
  it('stores publishes in call order, and a repeated Nats-Msg-Id once', async () => {
    const p = new StreamPublisher(nc);
    const subject = env.subjects.event('cosmos-ibc', 'client_status');
    const acks = await Promise.all(
      Array.from({ length: 500 }, (_, i) => p.publish(subject, JSON.stringify({ i }), `order-${i}`)),
    );
    const seqs = acks.map((a) => a.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(500);
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    const again = await p.publish(subject, JSON.stringify({ i: 7 }), 'order-7');
    expect(again).toEqual({ seq: acks[7]!.seq, duplicate: true });
  });

  it('a subject no stream captures fails as unavailable (no responders), without waiting for the timeout', async () => {
    const p = new StreamPublisher(nc, 60_000);
    const err = await p.publish(`${env.prefix}_nostream.x`, '{}', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamPublishError);
    expect((err as StreamPublishError).name).toBe('NoResponders');
    expect(isUnavailable(err)).toBe(true);
  });
});
