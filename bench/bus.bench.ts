import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  createPublisher,
  decodeEvent,
  provisionConsumer,
  provisionStreams,
  startConsumeLoop,
} from '@tocsin/bus';
import { cosmosIbc, newId, subjects } from '@tocsin/events';
import type { Benchmark } from './src/report.ts';
import { clientStatusData, inParallel } from './src/workload.ts';

// JetStream publish + consume, raw client vs @tocsin/bus (zod validation, envelope, dedup ids, DLQ-capable loop).
const N = Number(process.env.BENCH_BUS_MESSAGES ?? 20_000);
const WINDOW = 256; // publishes in flight, the same for both
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

const data = (i: number) => clientStatusData(i, 600_000);

async function fresh(nc: NatsConnection) {
  const subj = subjects(`bench_${randomBytes(4).toString('hex')}`);
  const jsm = await provisionStreams(nc, subj, { duplicateWindowMs: 120_000 });
  await provisionConsumer(jsm, {
    stream: subj.streams.events,
    durable: 'bench',
    filterSubject: subj.events(),
    maxAckPending: 10_000,
  });
  return { subj, jsm };
}

async function raw(nc: NatsConnection): Promise<number> {
  const { subj, jsm } = await fresh(nc);
  const js = jetstream(nc);
  const subject = subj.event('cosmos-ibc', 'client_status');
  const t0 = performance.now();
  // The same JSON a well-behaved raw publisher would send, built by hand, no validation.
  await inParallel(N, WINDOW, (i) =>
    js.publish(
      subject,
      JSON.stringify({
        id: newId(),
        source: 'cosmos-ibc',
        type: 'client_status',
        version: 1,
        chain_id: 'cosmoshub-4',
        instance: 'bench',
        observed_at: new Date().toISOString(),
        dedup_key: `k${i}`,
        data: data(i),
      }),
      { msgID: `k${i}` },
    ),
  );
  const consumer = await js.consumers.get(subj.streams.events, 'bench');
  const msgs = await consumer.consume({ max_messages: 256 });
  let seen = 0;
  for await (const m of msgs) {
    JSON.parse(m.string());
    m.ack();
    if (++seen === N) break;
  }
  const ms = performance.now() - t0;
  await msgs.close();
  await jsm.streams.delete(subj.streams.events);
  await jsm.streams.delete(subj.streams.alerts);
  await jsm.streams.delete(subj.streams.deadLetter);
  return (N / ms) * 1000;
}

async function viaBus(nc: NatsConnection): Promise<number> {
  const { subj, jsm } = await fresh(nc);
  const pub = createPublisher({ nc, subjects: subj, instance: 'bench' });
  const t0 = performance.now();
  await inParallel(N, WINDOW, (i) =>
    pub.publish(cosmosIbc.clientStatus, { chain_id: 'cosmoshub-4', dedup_key: `k${i}`, data: data(i) }),
  );
  let seen = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const loop = startConsumeLoop({
    nc,
    stream: subj.streams.events,
    durable: 'bench',
    deadLetterSubject: subj.deadLetter('events', 'bench'),
    decode: decodeEvent(),
    batch: 256,
    handler: async () => {
      if (++seen === N) done();
    },
  });
  await all;
  const ms = performance.now() - t0;
  await loop.stop();
  await jsm.streams.delete(subj.streams.events);
  await jsm.streams.delete(subj.streams.alerts);
  await jsm.streams.delete(subj.streams.deadLetter);
  return (N / ms) * 1000;
}

export default {
  name: 'bus-throughput',
  issue: 2,
  async run() {
    const nc = await connect({ servers: natsUrl });
    // Warm up both paths (JIT, connections), then alternate to spread machine noise over both.
    await raw(nc);
    await viaBus(nc);
    const rawRuns: number[] = [];
    const busRuns: number[] = [];
    const RUNS = 5;
    for (let i = 0; i < RUNS; i++) {
      // Alternate the order so neither path always runs second.
      if (i % 2) {
        busRuns.push(await viaBus(nc));
        rawRuns.push(await raw(nc));
      } else {
        rawRuns.push(await raw(nc));
        busRuns.push(await viaBus(nc));
      }
    }
    await nc.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const r = median(rawRuns);
    const b = median(busRuns);
    // Each bus run is compared with the raw run next to it in time; the median of those ratios resists load swings.
    const ratios = busRuns.map((x, i) => x / rawRuns[i]!);
    const ratio = median(ratios);
    return {
      figures: [
        {
          name: 'publish+consume throughput through @tocsin/bus',
          value: b,
          unit: 'msg/s',
          baseline: { name: 'raw JetStream publish+consume', value: r },
          ratio,
          target: 'ratio >= 0.5',
          met: ratio >= 0.5,
          note: `median of ${RUNS} paired runs of ${N} messages each (pair ratios ${ratios.map((x) => x.toFixed(2)).join(', ')}), ${WINDOW} publishes in flight`,
        },
      ],
      environment: { messages: N, nats: natsUrl },
    };
  },
} satisfies Benchmark;
