import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher, provisionStreams } from '@tocsin/bus';
import { cosmosIbc, type EventEnvelope, type Notification, newId } from '@tocsin/events';
import { startService } from '@tocsin/runtime';
import { freePort } from '@tocsin/testkit/ports';
import {
  type AlerterHandle,
  alerterConfig,
  createAlerterService,
  loadRules,
} from '../services/alerter/src/index.ts';
import { evaluateEvent, RuleIndex } from '../services/alerter/src/lifecycle/evaluate.ts';
import { SubscriptionIndex } from '../services/alerter/src/subscriptions/subscriptionIndex.ts';
import { type BenchEnv, benchEnv, natsUrl } from './src/env.ts';
import { type Benchmark, percentile } from './src/report.ts';
import { clientStatusData, inParallel } from './src/workload.ts';

// Events/s through the alerter with the default rules, against a raw JetStream consume+ack of the same stream in
// the same run; then event → notification latency at a steady 1,000 events/s.
const N = Number(process.env.BENCH_ALERTER_EVENTS ?? 100_000);
const RATE = 1000;
const LATENCY_SECONDS = Number(process.env.BENCH_ALERTER_LATENCY_S ?? 10);
/** Seconds of the same load before measuring: a fresh process compiles its hot paths (JIT) and fills its pool. */
const WARMUP_SECONDS = Number(process.env.BENCH_ALERTER_WARMUP_S ?? 3);
const CHAINS = ['cosmoshub-4', 'osmosis-1', 'neutron-1'];
const CLIENTS = 5000;

function clientStatus(i: number, scan: number, crossed: boolean) {
  return clientStatusData(i, crossed ? 1_000_000 + scan : 100_000 + scan * 600);
}

function walletBalance(i: number, scan: number) {
  const amount = 50 - scan * 0.01;
  return {
    address: `cosmos1relayer${i}`,
    denom: 'uatom',
    display_denom: 'ATOM',
    amount: String(Math.round(amount * 1e6)),
    display_amount: amount,
    burn_per_hour: 0.01,
    projected_empty_at: null,
    projected_empty_s: amount * 360_000,
    subscribers: [],
  };
}

async function startAlerter(env: BenchEnv, alerter: Record<string, unknown>) {
  let handle: AlerterHandle | undefined;
  const running = await startService(createAlerterService({ onReady: (h) => (handle = h) }), {
    argv: [],
    env: { PATH: process.env.PATH },
    config: { ...env.config, alerter },
  });
  return { running, handle: handle! };
}

/** Raw baseline: consume and ack every message of the stream, nothing else. */
async function rawConsume(nc: NatsConnection, stream: string): Promise<number> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(stream, {
    durable_name: 'raw',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 20_000,
  });
  const consumer = await jetstream(nc).consumers.get(stream, 'raw');
  const t0 = performance.now();
  const msgs = await consumer.consume({ max_messages: 1000 });
  let n = 0;
  for await (const m of msgs) {
    m.ack();
    if (++n >= N) break;
  }
  await msgs.close();
  return N / ((performance.now() - t0) / 1000);
}

/** BENCH_PROFILE=file: a CPU profile of the alerter's part of the throughput run only. */
const profile = process.env.BENCH_PROFILE
  ? await (async () => {
      const { Session } = await import('node:inspector/promises');
      const { writeFileSync } = await import('node:fs');
      const s = new Session();
      s.connect();
      return {
        async start() {
          await s.post('Profiler.enable');
          await s.post('Profiler.start');
        },
        async stop() {
          const { profile: p } = await s.post('Profiler.stop');
          writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(p));
        },
      };
    })()
  : null;

async function throughput(nc: NatsConnection) {
  const env = await benchEnv('tput');
  const subj = env.subjects;
  await provisionStreams(nc, subj);
  const pub = createPublisher({ nc, subjects: subj, instance: 'bench' });
  const scans = Math.ceil(N / (CLIENTS * 1.05));
  // 95 % client_status (5 % of the clients past 80 %), 5 % wallet balances.
  let sent = 0;
  await inParallel(N, 512, (k) => {
    const scan = Math.floor(k / (CLIENTS * 1.05)) % scans;
    const j = k % Math.round(CLIENTS * 1.05);
    const chain = CHAINS[j % CHAINS.length]!;
    sent++;
    if (j < CLIENTS)
      return pub.publish(cosmosIbc.clientStatus, {
        chain_id: chain,
        dedup_key: `c${j}:s${scan}:${k}`,
        data: clientStatus(j, scan, j % 20 === 0),
      });
    return pub.publish(cosmosIbc.walletBalance, {
      chain_id: chain,
      dedup_key: `w${j}:s${scan}:${k}`,
      data: walletBalance(j, scan),
    });
  });
  if (sent !== N) throw new Error('publish count mismatch');

  const rawRate = await rawConsume(nc, subj.streams.events);

  const jsm = await jetstreamManager(nc);
  await profile?.start();
  const rssBefore = process.memoryUsage().rss;
  const { running } = await startAlerter(env, { consumer: { batch: 1000 } });
  // Timed from the first ack to the last, so start-up (migrations, rule loading) is not counted.
  let first: { t: number; floor: number; cpu: NodeJS.CpuUsage } | null = null;
  let t1 = 0;
  let cpu: NodeJS.CpuUsage | null = null;
  for (;;) {
    const info = await jsm.consumers.info(subj.streams.events, 'alerter');
    const floor = info.ack_floor.stream_seq;
    const now = performance.now();
    if (!first && floor > 0) first = { t: now, floor, cpu: process.cpuUsage() };
    if (floor >= N) {
      t1 = now;
      cpu = process.cpuUsage(first!.cpu);
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const rate = (N - first!.floor) / ((t1 - first!.t) / 1000);
  await profile?.stop();
  const rss = process.memoryUsage().rss;
  const firing = await running.ctx.pool.query(
    `SELECT count(*)::int AS n FROM alerter_episodes WHERE state = 'firing'`,
  );
  const open = await running.ctx.pool.query(
    `SELECT fingerprint, rule_id FROM alerter_state WHERE status <> 'ok'`,
  );
  await running.stop();
  await env.cleanup();
  // The alerter was the only work in this process between the first and the last ack (the loop above polls).
  const cpuPerEventUs = (cpu!.user + cpu!.system) / (N - first!.floor);
  const rulesPerEventUs = ruleCostPerEvent(
    new Set(open.rows.map((r) => r.rule_id as string)),
    new Set(open.rows.map((r) => r.fingerprint as string)),
  );
  return {
    rate,
    rawRate,
    rss,
    rssBefore,
    firing: firing.rows[0].n as number,
    cpuPerEventUs,
    rulesPerEventUs,
  };
}

/**
 * CPU µs the default rules take per event of the same mix (evaluateEvent: conditions, and the labels and fingerprint
 * of instances that may change state), with the alerts pending or firing at the end of the run above open, called as
 * the pipeline calls it (the time a fact counts at is the intake's, already parsed).
 */
function ruleCostPerEvent(openRules: Set<string>, openFingerprints: Set<string>): number {
  const { rules, params } = loadRules(alerterConfig.parse({}));
  const index = new RuleIndex(rules);
  const opts = {
    params,
    subscriptions: new SubscriptionIndex(),
    mayBeActive: (id: string) => openRules.has(id),
    isOpen: (fp: string) => openFingerprints.has(fp),
  };
  const factAt = Date.now();
  const perScan = Math.round(CLIENTS * 1.05);
  const events: EventEnvelope[] = Array.from({ length: perScan }, (_, j) => ({
    id: newId(),
    source: 'cosmos-ibc',
    type: j < CLIENTS ? 'client_status' : 'wallet_balance',
    version: 1,
    chain_id: CHAINS[j % CHAINS.length]!,
    instance: 'bench',
    observed_at: new Date().toISOString(),
    dedup_key: `c${j}`,
    data: (j < CLIENTS ? clientStatus(j, 1, j % 20 === 0) : walletBalance(j, 1)) as Record<string, unknown>,
  }));
  const rounds = 40;
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    for (let k = 0; k < rounds; k++) for (const e of events) evaluateEvent(index, e, opts, factAt);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / (rounds * events.length));
  }
  return best;
}

/**
 * The alerter as it is deployed: its own process (`services/alerter/src/main.ts --config file`), so the load
 * generator and the latency probe in this process do not share its event loop or its heap.
 */
async function spawnAlerter(env: BenchEnv, alerter: Record<string, unknown>): Promise<ChildProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));
  const file = join(dir, 'alerter.yaml');
  // JSON is YAML.
  writeFileSync(file, JSON.stringify({ ...env.config, http: { host: '127.0.0.1', port }, alerter }));
  const root = fileURLToPath(new URL('..', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'services/alerter/src/main.ts'), '--config', file],
    { cwd: root, env: { PATH: process.env.PATH }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the alerter exited with ${code} before it was ready`))),
  );
  exited.catch(() => undefined);
  const deadline = performance.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return child;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the alerter did not become ready within 60 s');
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

async function latency(nc: NatsConnection) {
  const env = await benchEnv('lat');
  const subj = env.subjects;
  await provisionStreams(nc, subj);
  // group_wait and priority_wait are deliberate delays (30 s and 2 s by default): measured here without them, and
  // without grouping, so each transition is its own notification.
  const child = await spawnAlerter(env, {
    defaults: { group_by: ['...'], group_wait: 0, priority_wait: 0 },
    incidents: [{ id: 'ibc-relayer', enabled: false }],
  });
  const pub = createPublisher({ nc, subjects: subj, instance: 'bench' });
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  const sub = nc.subscribe(subj.alerts(), {
    callback: (_e, m) => {
      const n = m.json<Notification>();
      const at = performance.now();
      for (const a of n.alerts) {
        const t = sentAt.get(`${a.chain_id}/${a.labels.client_id}`);
        if (t !== undefined && n.transition === 'firing') lat.push(at - t);
      }
    },
  });
  const total = RATE * (LATENCY_SECONDS + WARMUP_SECONDS);
  const tickMs = 10;
  const perTick = (RATE * tickMs) / 1000;
  const start = performance.now();
  let k = 0;
  while (k < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / tickMs + 1) * perTick));
    const batch: Promise<unknown>[] = [];
    for (; k < due; k++) {
      // One event in ten is a client crossing 80 % for the first time: a new alert.
      const crossing = k % 10 === 0;
      const j = crossing ? 100_000 + k : k % CLIENTS;
      const chain = CHAINS[k % CHAINS.length]!;
      // The warm-up seconds are not measured.
      if (crossing && k >= RATE * WARMUP_SECONDS)
        sentAt.set(`${chain}/07-tendermint-${j}`, performance.now());
      batch.push(
        pub.publish(cosmosIbc.clientStatus, {
          chain_id: chain,
          dedup_key: `l${k}`,
          data: clientStatus(j, 0, crossing),
        }),
      );
    }
    await Promise.all(batch);
    const next = start + (Math.floor(k / perTick) + 0) * tickMs;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  const achieved = total / ((performance.now() - start) / 1000);
  const deadline = performance.now() + 10_000;
  const expected = sentAt.size;
  while (lat.length < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  sub.unsubscribe();
  await stopChild(child);
  await env.cleanup();
  lat.sort((a, b) => a - b);
  return {
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    count: lat.length,
    expected: (RATE * LATENCY_SECONDS) / 10,
    achieved,
  };
}

export default {
  name: 'alerter',
  issue: 3,
  async run() {
    const nc = await connect({ servers: natsUrl });
    try {
      const t = await throughput(nc);
      console.log(`  throughput: ${Math.round(t.rate)} events/s (raw consume ${Math.round(t.rawRate)}/s)`);
      const l = await latency(nc);
      console.log(`  latency: p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms over ${l.count} alerts`);
      return {
        figures: [
          {
            name: 'events/s through the alerter (default rules)',
            value: t.rate,
            unit: 'events/s',
            baseline: { name: 'raw JetStream consume+ack', value: t.rawRate },
            ratio: t.rate / t.rawRate,
            target: '>= 20000',
            met: t.rate >= 20_000,
            note: `${N} events (95 % client_status over ${CLIENTS} clients on 3 chains, 5 % wallet_balance); ${t.firing} alerts firing at the end; timed from first to last ack`,
          },
          {
            name: 'event → notification latency p50 at 1,000 events/s',
            value: l.p50,
            unit: 'ms',
            note: `${l.count}/${l.expected} new alerts measured over ${LATENCY_SECONDS} s after ${WARMUP_SECONDS} s of the same load unmeasured (warm-up), publish rate achieved ${Math.round(l.achieved)}/s; the alerter in its own process (as deployed), publisher and probe in the harness; group_wait 0, priority_wait 0, no grouping`,
          },
          {
            name: 'event → notification latency p99 at 1,000 events/s',
            value: l.p99,
            unit: 'ms',
            target: '< 50',
            met: l.p99 < 50,
          },
          {
            name: 'rule evaluation, CPU per event (default rules, CEL)',
            value: t.rulesPerEventUs,
            unit: 'µs',
            baseline: { name: "the alerter's CPU per event in the throughput run", value: t.cpuPerEventUs },
            ratio: t.rulesPerEventUs / t.cpuPerEventUs,
            target: 'ratio <= 0.05',
            met: t.rulesPerEventUs / t.cpuPerEventUs <= 0.05,
            note: 'evaluateEvent over the same event mix in this process, the alerts pending or firing at the end of the run open',
          },
          {
            name: 'process RSS after the throughput run',
            value: t.rss / 2 ** 20,
            unit: 'MB',
            baseline: { name: 'before the alerter started', value: t.rssBefore / 2 ** 20 },
            ratio: t.rss / t.rssBefore,
          },
        ],
      };
    } finally {
      await nc.close();
    }
  },
} satisfies Benchmark;
