import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@tocsin/testkit/ports';
import { type MachineCpu, machineCpu, machineSince } from './machine.ts';
import { cpuSeconds, peakRssMb, stopChild, until } from './proc.ts';
import { atSteadyRate, type LatencyRun, latencyOf } from './steadyRate.ts';
import { inParallel } from './workload.ts';

// The receiver both systems notify, and the Alertmanager side of bench/alert-pipeline.bench.ts.

const AM_BATCH = 100;
/** How long after its last send a steady-rate phase waits for the stragglers. */
export const STEADY_TIMEOUT_MS = 60_000;

/** Counts alerts by status as they reach the receiver, and when the n-th of each arrived. */
export class Receiver {
  firing = new Set<string>();
  resolved = new Set<string>();
  posts = 0;
  duplicates = 0;
  lastFiringAt = 0;
  lastResolvedAt = 0;
  /** When each key first arrived firing (`performance.now()`), for latency phases. */
  firstFiringAt = new Map<string, number>();
  #server: Server;
  url = '';

  constructor(private readonly parse: (body: unknown) => { key: string; status: string }[]) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.posts++;
        const now = performance.now();
        for (const a of this.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')))) {
          const set = a.status === 'resolved' ? this.resolved : this.firing;
          if (set.has(a.key)) this.duplicates++;
          else if (set === this.firing) this.firstFiringAt.set(a.key, now);
          set.add(a.key);
          if (a.status === 'resolved') this.lastResolvedAt = now;
          else this.lastFiringAt = now;
        }
        res.writeHead(200).end();
      });
    });
  }

  async start(): Promise<string> {
    const port = await freePort();
    // Idle connections stay open longer than either client keeps them (Go's and undici's pools), so no sender
    // reuses a connection the receiver has just closed (an EOF, then a retry).
    this.#server.keepAliveTimeout = 120_000;
    this.#server.headersTimeout = 121_000;
    await new Promise<void>((r) => this.#server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${port}/`;
    return this.url;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}

export interface SystemRun {
  firingS: number;
  firingIntakeS: number;
  resolveS: number;
  resolveIntakeS: number;
  /** Peak RSS per process, MB. */
  rss: Record<string, number>;
  /** CPU seconds per process over both phases (PostgreSQL's backends under `postgres (<service>)`). */
  cpu: Record<string, number>;
  /** The whole machine's CPU over both phases. */
  machine: MachineCpu;
  duplicates: number;
  /** The steady-rate phase (distinct alerts firing at `rate`/s, one at a time), when it ran. */
  latency?: LatencyRun;
  /** The warm-up round's seconds end to end (the first burst after start, not measured), when it ran. */
  warmup?: { firingS: number; resolveS: number };
}

/** The Alertmanager binary, installed from Debian if absent; null (with the reason) if it cannot be. */
export function alertmanagerBinary(): { bin: string } | { skip: string } {
  const found = () => spawnSync('sh', ['-c', 'command -v prometheus-alertmanager'], { encoding: 'utf8' });
  let which = found();
  if (which.status !== 0) {
    console.log('  installing prometheus-alertmanager (apt-get)…');
    const r = spawnSync(
      'sh',
      [
        '-c',
        'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-alertmanager',
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    which = found();
    if (which.status !== 0)
      return {
        skip: `prometheus-alertmanager could not be installed: ${(r.stderr || r.stdout).trim().slice(-300)}`,
      };
  }
  return { bin: which.stdout.trim() };
}

/** Alertmanager's view of IBC client i's alert (the labels and summary the alerter's rule gives it). */
function amAlert(i: number, chain: string, now: string, resolved: boolean) {
  return {
    labels: {
      alertname: 'ibc-client-expiring',
      chain_id: chain,
      client_id: `07-tendermint-${i}`,
      severity: 'warning',
    },
    annotations: {
      summary: `IBC client 07-tendermint-${i} on ${chain} is 85% through its trusting period`,
    },
    startsAt: now,
    ...(resolved ? { endsAt: now } : {}),
  };
}

export interface AlertmanagerRun {
  /** Alerts firing then resolving, in batches of 100. */
  n: number;
  chain: string;
  timeoutMs: number;
  /** Then this many more distinct alerts firing at `rate`/s, those due every 5 ms in one POST (0: no latency phase). */
  steady: { n: number; rate: number };
  /** First, not measured: this many other alerts (from client `first`) firing then resolving (0: none). */
  warmup: { n: number; first: number };
}

export async function runAlertmanager(bin: string, o: AlertmanagerRun): Promise<SystemRun> {
  const { n, chain, timeoutMs } = o;
  const receiver = new Receiver((body) => {
    const b = body as { alerts: { status: string; labels: Record<string, string> }[] };
    return b.alerts.map((a) => ({ key: a.labels.client_id!, status: a.status }));
  });
  const url = await receiver.start();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-am-'));
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(
    config,
    JSON.stringify({
      route: {
        receiver: 'bench',
        group_by: ['...'],
        group_wait: '0s',
        group_interval: '1s',
        repeat_interval: '24h',
      },
      receivers: [{ name: 'bench', webhook_configs: [{ url, send_resolved: true }] }],
    }),
  );
  const port = await freePort();
  const am = spawn(
    bin,
    [
      `--config.file=${config}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const api = `http://127.0.0.1:${port}`;
  const post = async (alerts: unknown[]) => {
    const r = await fetch(`${api}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`Alertmanager answered ${r.status} to a batch of alerts`);
  };
  try {
    await until(
      'Alertmanager to answer /-/ready',
      () =>
        fetch(`${api}/-/ready`)
          .then((r) => r.ok)
          .catch(() => false),
      60_000,
      50,
    );
    const phase = async (tag: 'firing' | 'resolved', got: () => number, first = 0, count = n) => {
      const base = got();
      const t0 = performance.now();
      await inParallel(Math.ceil(count / AM_BATCH), 4, async (b) => {
        const now = new Date().toISOString();
        const alerts = [];
        for (let i = b * AM_BATCH; i < Math.min(count, (b + 1) * AM_BATCH); i++)
          alerts.push(amAlert(first + i, chain, now, tag === 'resolved'));
        await post(alerts);
      });
      const intake = performance.now();
      await until(
        `${count} ${tag} alerts at Alertmanager's receiver`,
        () => got() >= base + count,
        timeoutMs,
      );
      const done = tag === 'firing' ? receiver.lastFiringAt : receiver.lastResolvedAt;
      return { e2e: (done - t0) / 1000, intake: (intake - t0) / 1000 };
    };
    let warmup: SystemRun['warmup'];
    if (o.warmup.n > 0) {
      const { n: w, first } = o.warmup;
      const wf = await phase('firing', () => receiver.firing.size, first, w);
      const wr = await phase('resolved', () => receiver.resolved.size, first, w);
      warmup = { firingS: wf.e2e, resolveS: wr.e2e };
      console.log(
        `  alertmanager warm-up (${w} alerts): firing ${wf.e2e.toFixed(2)} s, resolve ${wr.e2e.toFixed(2)} s`,
      );
    }
    const cpu0 = cpuSeconds(am.pid!);
    const machine0 = machineCpu();
    const firing = await phase('firing', () => receiver.firing.size);
    console.log(
      `  alertmanager firing: ${firing.e2e.toFixed(2)} s end to end, intake ${firing.intake.toFixed(2)} s`,
    );
    const resolve = await phase('resolved', () => receiver.resolved.size);
    console.log(`  alertmanager resolve: ${resolve.e2e.toFixed(2)} s end to end`);
    const rss = { alertmanager: peakRssMb(am.pid!) };
    const cpu = { alertmanager: cpuSeconds(am.pid!) - cpu0 };
    const machine = machineSince(machine0);
    let latency: LatencyRun | undefined;
    if (o.steady.n > 0) {
      const first = n;
      const sent = await atSteadyRate(o.steady.n, o.steady.rate, (from, to) => {
        const now = new Date().toISOString();
        const alerts = [];
        for (let i = from; i < to; i++) alerts.push(amAlert(first + i, chain, now, false));
        return post(alerts);
      });
      await until(
        `${o.steady.n} steady-rate alerts at Alertmanager's receiver`,
        () => receiver.firing.size >= n + o.steady.n + o.warmup.n,
        STEADY_TIMEOUT_MS,
      ).catch(() => undefined); // the missing ones show as arrived < sent
      latency = latencyOf(sent, (i) => receiver.firstFiringAt.get(`07-tendermint-${first + i}`));
      console.log(
        `  alertmanager at ${latency.rate.toFixed(0)} alerts/s: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (${latency.arrived}/${latency.sent})`,
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
      ...(warmup ? { warmup } : {}),
    };
  } finally {
    await stopChild(am);
    await receiver.close();
  }
}
