import type { ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher, provisionStreams } from '@tocsin/bus';
import { cosmosIbc } from '@tocsin/events';
import pg from 'pg';
import {
  alertmanagerBinary,
  Receiver,
  runAlertmanager,
  STEADY_TIMEOUT_MS,
  type SystemRun,
} from './src/alertmanager.ts';
import { benchEnv, databaseUrl, natsUrl } from './src/env.ts';
import { machineCpu, machineFigure, machineSince } from './src/machine.ts';
import {
  cpuSeconds,
  PgBackendCpu,
  peakRssMb,
  productionTree,
  spawnService,
  stopChild,
  until,
} from './src/proc.ts';
import type { Benchmark, Figure } from './src/report.ts';
import { atSteadyRate, type LatencyRun, latencyFigures, latencyOf } from './src/steadyRate.ts';
import { clientStatusData, inParallel } from './src/workload.ts';

/**
 * Issue 13: N distinct alerts firing, then all resolving, end to end: events → alerter → notifier-webhook → one
 * counting HTTP receiver, every alert its own group (`group_by: ['...']`, group_wait 0, group_interval 1 s,
 * priority_wait 0). Baseline in the same run: Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on the
 * same alerts, fed through `/api/v2/alerts` in batches of 100, notifying the same kind of receiver.
 *
 * Each system first takes a warm-up round, not measured: BENCH_PIPELINE_WARMUP other alerts (default N, at most
 * 10,000; 0 measures the first burst after start) firing then resolving, so that the figures are a running
 * service's (V8 has compiled the hot path: in the first burst after start a third of the services' CPU went to the
 * JIT compiler and its garbage); the warm-up round's own times are reported beside the figures.
 *
 * BENCH_PIPELINE_ALERTS sets N (default 10,000); above 10,000 the baseline is skipped (tocsin alone, to show how
 * the cost grows) unless BENCH_PIPELINE_BASELINE=1. The services run as their images run them: production trees built
 * at the start (BENCH_PIPELINE_TSX=1 runs the sources through tsx instead). BENCH_PIPELINE_NODE_ARGS passes flags to
 * the tocsin services
 * (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, `--trace-gc`); BENCH_PIPELINE_DEBUG=1 prints the tables' counts at the end
 * and the steady phase's latency by tenth of the phase.
 *
 * Then, in the same processes, latency at a steady rate: BENCH_PIPELINE_STEADY more distinct alerts (default 10,000;
 * 0 skips it) firing at 1,000/s, one event each (every one changes state: a new alert, not a repeat), each timed from
 * its publish (the publish call, this process' clock) to its arrival at the receiver (same process, same clock):
 * through NATS, the alerter, NATS again and notifier-webhook, as deployed. Every alert is its own group, so
 * group_interval (1 s: the wait before a group's *next* notification) does not apply: each is its group's first,
 * sent after group_wait (0). Alertmanager gets the same alerts at the same rate, the ones due every 5 ms in one
 * POST (as Prometheus batches them; one POST per alert made this process, not Alertmanager, the bottleneck). The
 * CPU and RSS figures are the bursts' (taken before this phase).
 */
const N = Number(process.env.BENCH_PIPELINE_ALERTS ?? 10_000);
const WITH_BASELINE = process.env.BENCH_PIPELINE_BASELINE
  ? process.env.BENCH_PIPELINE_BASELINE === '1'
  : N <= 10_000;
const NODE_ARGS = (process.env.BENCH_PIPELINE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const TSX = process.env.BENCH_PIPELINE_TSX === '1';
const CHAIN = 'cosmoshub-4';
const STEADY = Number(process.env.BENCH_PIPELINE_STEADY ?? 10_000);
/** Alerts of the warm-up round (firing then resolving, not measured) each system takes first; 0: measured cold. */
const WARMUP = Number(process.env.BENCH_PIPELINE_WARMUP ?? Math.min(N, 10_000));
/** The warm-up's alerts are clients after the measured and the steady-rate ones. */
const WARMUP_FIRST = N + STEADY;
const STEADY_RATE = 1000;
/** Every wait for the pipeline to finish a phase gives up after this (and says what it waited for). */
const PHASE_TIMEOUT_MS = Number(process.env.BENCH_PIPELINE_TIMEOUT_MS ?? Math.max(300_000, N * 30));
const FIRING_ELAPSED_S = 1_030_000; // 85 % of the trusting period, 50 h left: ibc-client-expiring (warning) only
const RESOLVED_ELAPSED_S = 100_000;

function cpuOf(procs: Record<string, ChildProcess>): Record<string, number> {
  return Object.fromEntries(Object.entries(procs).map(([k, p]) => [k, cpuSeconds(p.pid!)]));
}

function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]));
}

async function runTocsin(nc: NatsConnection): Promise<SystemRun & { alerterPart?: LatencyRun }> {
  const env = await benchEnv('pipeline');
  const subj = env.subjects;
  await provisionStreams(nc, subj);
  const receiver = new Receiver((body) => {
    const n = body as { transition: string; alerts: { labels: Record<string, string> }[] };
    return n.alerts.map((a) => ({ key: a.labels.client_id!, status: n.transition }));
  });
  const url = await receiver.start();
  const trees = TSX
    ? { alerter: undefined, notifier: undefined }
    : { alerter: productionTree('alerter'), notifier: productionTree('notifier-webhook') };
  const alerter = await spawnService(
    'alerter',
    {
      ...env.config,
      alerter: {
        defaults: { group_by: ['...'], group_wait: 0, group_interval: '1s', priority_wait: 0 },
        // Every alert its own group: the shipped `ibc-relayer` incident (cross-rule grouping) is off too.
        incidents: [{ id: 'ibc-relayer', enabled: false }],
      },
    },
    NODE_ARGS,
    trees.alerter,
  );
  const notifier = await spawnService(
    'notifier-webhook',
    { ...env.config, webhook: { targets: [{ name: 'bench', url }] } },
    NODE_ARGS,
    trees.notifier,
  );
  const procs = { alerter, 'notifier-webhook': notifier };
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  // PostgreSQL's CPU per service: the backends serving each one's connections.
  const pgCpu = {
    alerter: new PgBackendCpu(admin, () => [alerter.pid!]),
    'notifier-webhook': new PgBackendCpu(admin, () => [notifier.pid!]),
  };
  const pgSample = () => Promise.all(Object.values(pgCpu).map((c) => c.sample()));
  const sampler = setInterval(() => void pgSample().catch(() => undefined), 500);
  const pub = createPublisher({ nc, subjects: subj, instance: 'bench' });
  const jsm = await jetstreamManager(nc);
  try {
    const phase = async (elapsed: number, tag: string, got: () => number, first = 0, n = N) => {
      const base = got();
      const t0 = performance.now();
      await inParallel(n, 512, (i) =>
        pub.publish(cosmosIbc.clientStatus, {
          chain_id: CHAIN,
          dedup_key: `${tag}:${first + i}`,
          data: clientStatusData(first + i, elapsed),
        }),
      );
      const last = (await jsm.streams.info(subj.streams.events)).state.last_seq;
      const intake = await until(
        `the alerter to ack the ${tag} events (stream seq ${last})`,
        async () => (await jsm.consumers.info(subj.streams.events, 'alerter')).ack_floor.stream_seq >= last,
        PHASE_TIMEOUT_MS,
        20,
      );
      await until(`${n} ${tag} alerts at the receiver`, () => got() >= base + n, PHASE_TIMEOUT_MS);
      const done = elapsed === FIRING_ELAPSED_S ? receiver.lastFiringAt : receiver.lastResolvedAt;
      return { e2e: (done - t0) / 1000, intake: (intake - t0) / 1000 };
    };
    let warmup: SystemRun['warmup'];
    if (WARMUP > 0) {
      // A running service's figures: the JIT has compiled the hot path, the pools are open (not measured).
      const wf = await phase(FIRING_ELAPSED_S, 'warmup', () => receiver.firing.size, WARMUP_FIRST, WARMUP);
      const wr = await phase(
        RESOLVED_ELAPSED_S,
        'warmup-resolved',
        () => receiver.resolved.size,
        WARMUP_FIRST,
        WARMUP,
      );
      warmup = { firingS: wf.e2e, resolveS: wr.e2e };
      console.log(
        `  tocsin warm-up (${WARMUP} alerts): firing ${wf.e2e.toFixed(2)} s, resolve ${wr.e2e.toFixed(2)} s`,
      );
    }
    await Promise.all(Object.values(pgCpu).map((c) => c.reset()));
    const cpu0 = cpuOf(procs);
    const machine0 = machineCpu();
    const firing = await phase(FIRING_ELAPSED_S, 'firing', () => receiver.firing.size);
    console.log(
      `  tocsin firing: ${firing.e2e.toFixed(2)} s end to end, intake ${firing.intake.toFixed(2)} s`,
    );
    const resolve = await phase(RESOLVED_ELAPSED_S, 'resolved', () => receiver.resolved.size);
    console.log(
      `  tocsin resolve: ${resolve.e2e.toFixed(2)} s end to end, intake ${resolve.intake.toFixed(2)} s`,
    );
    const machine = machineSince(machine0);
    await pgSample();
    const cpu = {
      ...diff(cpu0, cpuOf(procs)),
      'postgres (alerter)': pgCpu.alerter.seconds(),
      'postgres (notifier-webhook)': pgCpu['notifier-webhook'].seconds(),
    };
    const rss = { alerter: peakRssMb(alerter.pid!), 'notifier-webhook': peakRssMb(notifier.pid!) };
    let latency: LatencyRun | undefined;
    let alerterPart: LatencyRun | undefined;
    if (STEADY > 0) {
      // Where the time goes: when each notification was on the ALERTS stream (a plain subscription, same clock).
      const published = new Map<string, number>();
      const sub = nc.subscribe(subj.alerts(), {
        callback: (_e, m) => {
          const at = performance.now();
          const n = m.json<{ transition: string; alerts: { labels: Record<string, string> }[] }>();
          if (n.transition !== 'firing') return;
          for (const a of n.alerts)
            if (!published.has(a.labels.client_id!)) published.set(a.labels.client_id!, at);
        },
      });
      // Clients N.. are new: each event is a new alert firing.
      // One publish per event, as an ingestor publishes them.
      const sent = await atSteadyRate(STEADY, STEADY_RATE, (from, to) => {
        const sends = [];
        for (let i = from; i < to; i++)
          sends.push(
            pub.publish(cosmosIbc.clientStatus, {
              chain_id: CHAIN,
              dedup_key: `steady:${i}`,
              data: clientStatusData(N + i, FIRING_ELAPSED_S),
            }),
          );
        return Promise.all(sends);
      });
      await until(
        `${STEADY} steady-rate alerts at the receiver`,
        () => receiver.firing.size >= N + STEADY + WARMUP,
        STEADY_TIMEOUT_MS,
      ).catch(() => undefined); // the missing ones show as arrived < sent
      sub.unsubscribe();
      latency = latencyOf(sent, (i) => receiver.firstFiringAt.get(`07-tendermint-${N + i}`));
      alerterPart = latencyOf(sent, (i) => published.get(`07-tendermint-${N + i}`));
      if (process.env.BENCH_PIPELINE_DEBUG) {
        // By tenth of the phase: whether the latency grows with the alerts open (each steady event opens one).
        const tenth = Math.ceil(STEADY / 10);
        for (let t = 0; t < STEADY; t += tenth) {
          const part = { ...sent, sentAt: sent.sentAt.subarray(t, t + tenth) };
          const e2e = latencyOf(part, (i) => receiver.firstFiringAt.get(`07-tendermint-${N + t + i}`));
          const own = latencyOf(part, (i) => published.get(`07-tendermint-${N + t + i}`));
          console.log(
            `    events ${t}..${t + tenth}: p50 ${e2e.p50.toFixed(1)} / p99 ${e2e.p99.toFixed(1)} ms; ALERTS stream p50 ${own.p50.toFixed(1)} / p99 ${own.p99.toFixed(1)} ms`,
          );
        }
      }
      console.log(
        `  tocsin at ${latency.rate.toFixed(0)} events/s: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (${latency.arrived}/${latency.sent}); event → ALERTS stream p50 ${alerterPart.p50.toFixed(1)} ms, p99 ${alerterPart.p99.toFixed(1)} ms`,
      );
    }
    return {
      firingS: firing.e2e,
      firingIntakeS: firing.intake,
      resolveS: resolve.e2e,
      resolveIntakeS: resolve.intake,
      rss,
      cpu,
      machine,
      duplicates: receiver.duplicates,
      ...(latency ? { latency } : {}),
      ...(alerterPart ? { alerterPart } : {}),
      ...(warmup ? { warmup } : {}),
    };
  } finally {
    if (process.env.BENCH_PIPELINE_DEBUG) {
      for (const q of [
        `SELECT state, count(*) FROM ${env.schema}.alerter_episodes GROUP BY 1`,
        `SELECT transition, count(*) FROM ${env.schema}.alerter_pending GROUP BY 1`,
        `SELECT count(*), count(published_at) FROM ${env.schema}.alerter_outbox`,
        `SELECT state, transition, count(*) FROM ${env.schema}.notify_deliveries GROUP BY 1, 2`,
      ])
        console.log(q, (await admin.query(q).catch((e) => ({ rows: String(e) }))).rows);
    }
    clearInterval(sampler);
    await stopChild(notifier);
    await stopChild(alerter);
    await admin.end();
    await receiver.close();
    await env.cleanup();
  }
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const fmt = (r: Record<string, number>, unit: string) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v.toFixed(1)} ${unit}`)
    .join(', ');

export default {
  name: N === 10_000 ? 'alert-pipeline' : `alert-pipeline (${N} alerts)`,
  issue: 13,
  async run() {
    const nc = await connect({ servers: natsUrl });
    let t: SystemRun & { alerterPart?: LatencyRun };
    try {
      t = await runTocsin(nc);
    } finally {
      await nc.close();
    }
    let am: SystemRun | null = null;
    let skipped = '';
    if (WITH_BASELINE) {
      const found = alertmanagerBinary();
      if ('bin' in found)
        am = await runAlertmanager(found.bin, {
          n: N,
          chain: CHAIN,
          timeoutMs: PHASE_TIMEOUT_MS,
          steady: { n: STEADY, rate: STEADY_RATE },
          warmup: { n: WARMUP, first: WARMUP_FIRST },
        });
      else skipped = found.skip;
    } else skipped = `baseline not run for ${N} alerts (tocsin alone; BENCH_PIPELINE_BASELINE=1 runs it)`;
    if (skipped) console.log(`  Alertmanager baseline skipped: ${skipped}`);
    const rate = (s: number) => N / s;
    const base = (name: string, value: number) =>
      am ? { baseline: { name: `Alertmanager: ${name}`, value } } : {};
    const tocsinCpu = sum(t.cpu);
    const cold = (r: SystemRun | null, side: 'firingS' | 'resolveS') =>
      r?.warmup ? `${(WARMUP / r.warmup[side]).toFixed(0)} alerts/s` : '—';
    const warm =
      WARMUP > 0
        ? `; after a warm-up round of ${WARMUP} other alerts firing then resolving, not measured (each system's first burst after start: tocsin firing ${cold(t, 'firingS')}, resolve ${cold(t, 'resolveS')}${am ? `; Alertmanager ${cold(am, 'firingS')}, ${cold(am, 'resolveS')}` : ''})`
        : '; measured cold (no warm-up round)';
    const work = `${N} distinct alerts (one per IBC client), each its own group; alerter and notifier-webhook in their own processes${warm}`;
    const figures: Figure[] = [
      {
        name: 'firing: alerts/s, first send → last alert at the receiver',
        value: rate(t.firingS),
        unit: 'alerts/s',
        ...base('same', am ? rate(am.firingS) : 0),
        ...(am
          ? {
              ratio: rate(t.firingS) / rate(am.firingS),
              target: 'ratio >= 1.0',
              met: t.firingS <= am.firingS,
            }
          : {}),
        note: `${work}; tocsin ${t.firingS.toFixed(2)} s${am ? `, Alertmanager ${am.firingS.toFixed(2)} s` : ''}${skipped ? `; baseline skipped: ${skipped}` : ''}`,
      },
      {
        name: 'firing intake: alerts/s judged and committed',
        value: rate(t.firingIntakeS),
        unit: 'alerts/s',
        ...base('POSTs of all batches answered', am ? rate(am.firingIntakeS) : 0),
        ...(am ? { ratio: rate(t.firingIntakeS) / rate(am.firingIntakeS) } : {}),
        target: '>= 10000',
        met: rate(t.firingIntakeS) >= 10_000,
        note: 'tocsin: first publish → the alerter acked the last event (its transaction committed)',
      },
      {
        name: 'resolve: alerts/s, first send → last alert at the receiver',
        value: rate(t.resolveS),
        unit: 'alerts/s',
        ...base('same', am ? rate(am.resolveS) : 0),
        ...(am
          ? {
              ratio: rate(t.resolveS) / rate(am.resolveS),
              target: 'ratio >= 1.0',
              met: t.resolveS <= am.resolveS,
            }
          : {}),
        note: `tocsin ${t.resolveS.toFixed(2)} s (intake ${t.resolveIntakeS.toFixed(2)} s)${am ? `, Alertmanager ${am.resolveS.toFixed(2)} s` : ''}`,
      },
      {
        name: 'peak RSS, alerter',
        value: t.rss.alerter!,
        unit: 'MB',
        ...base('peak RSS', am?.rss.alertmanager ?? 0),
        ...(am ? { ratio: t.rss.alerter! / am.rss.alertmanager! } : {}),
        target: '< 300',
        met: t.rss.alerter! < 300,
      },
      {
        name: 'peak RSS, notifier-webhook',
        value: t.rss['notifier-webhook']!,
        unit: 'MB',
        ...base('peak RSS', am?.rss.alertmanager ?? 0),
        ...(am ? { ratio: t.rss['notifier-webhook']! / am.rss.alertmanager! } : {}),
        target: '< 200',
        met: t.rss['notifier-webhook']! < 200,
      },
      {
        name: 'CPU per alert transition (processes + PostgreSQL backends)',
        value: (tocsinCpu * 1e6) / (2 * N),
        unit: 'µs',
        ...base('CPU per transition', am ? (am.cpu.alertmanager! * 1e6) / (2 * N) : 0),
        ...(am
          ? {
              ratio: tocsinCpu / am.cpu.alertmanager!,
              target: 'ratio <= 2',
              met: tocsinCpu <= 2 * am.cpu.alertmanager!,
            }
          : {}),
        note: `CPU s over both phases: ${fmt(t.cpu, 's')}${am ? `; ${fmt(am.cpu, 's')}` : ''}. PostgreSQL: the backends serving the two services (not the WAL writer/checkpointer). Duplicates at the receiver: tocsin ${t.duplicates}${am ? `, Alertmanager ${am.duplicates}` : ''}`,
      },
      machineFigure(t.machine, am?.machine, 2 * N),
      ...latencyFigures(t.latency, am?.latency, t.alerterPart, { n: STEADY, rate: STEADY_RATE }),
    ];
    return {
      figures,
      environment: {
        alerts: N,
        alertmanager: am ? '0.25 (Debian)' : 'skipped',
        load_average: loadavg()[0]!.toFixed(1),
      },
    };
  },
} satisfies Benchmark;
