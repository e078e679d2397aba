import { connect } from '@nats-io/transport-node';
import { runSubscriber } from './subscriber.ts';

// NATS_URL (default nats://127.0.0.1:4222), TOCSIN_SUBJECT_PREFIX (default tocsin), SUBSCRIBER_DURABLE.
const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', name: 'my-subscriber' });
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
await runSubscriber({
  nc,
  prefix: process.env.TOCSIN_SUBJECT_PREFIX || 'tocsin',
  durable: process.env.SUBSCRIBER_DURABLE || 'my-subscriber',
  print: (line) => console.log(line),
  signal: stop.signal,
});
await nc.drain();
