import type { NatsConnection } from '@nats-io/transport-node';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnavailable, provisionStreams, StreamPublishError, StreamPublisher } from '../src/index.ts';
import { parseAck } from '../src/streamPublish.ts';

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

describe('parseAck', () => {
  const ack = (s: string) => parseAck(new TextEncoder().encode(s));

  it('reads the acks the server writes, with its spacing or without', () => {
    expect(ack('{"stream":"EV", "seq":1}')).toEqual({ stream: 'EV', seq: 1, duplicate: false });
    expect(ack('{"stream":"EV", "seq":42,"duplicate": true}')).toEqual({
      stream: 'EV',
      seq: 42,
      duplicate: true,
    });
    expect(ack('{"stream":"EV","seq":999999999999999}')).toEqual({
      stream: 'EV',
      seq: 999999999999999,
      duplicate: false,
    });
    // Longer than that: JSON.parse reads it.
    expect(ack('{"stream":"EV","seq":9007199254740991}')).toEqual({ stream: 'EV', seq: 9007199254740991 });
    expect(ack(' { "stream" : "é-s" , "seq" : 0 , "duplicate" : true } ')).toEqual({
      stream: 'é-s',
      seq: 0,
      duplicate: true,
    });
  });

  it('reads anything else as JSON: errors, other fields, escapes', () => {
    expect(ack('{"error":{"code":503,"description":"no"},"stream":"EV"}')).toEqual({
      error: { code: 503, description: 'no' },
      stream: 'EV',
    });
    expect(ack('{"stream":"EV", "seq":3, "domain":"hub"}')).toEqual({ stream: 'EV', seq: 3, domain: 'hub' });
    expect(ack('{"stream":"E\\"V", "seq":3}')).toEqual({ stream: 'E"V', seq: 3 });
    expect(ack('{"stream":"EV", "seq":3,"duplicate": false}')).toEqual({
      stream: 'EV',
      seq: 3,
      duplicate: false,
    });
    expect(ack('{"stream":"EV", "seq":1e3}')).toEqual({ stream: 'EV', seq: 1000 });
  });

  it('is null for what is not a JSON object', () => {
    for (const s of ['', 'nope', '[1]', 'null', '{"stream":"EV", "seq":1', '{"stream":"EV", "seq":01}'])
      expect(ack(s)).toBeNull();
  });
});
