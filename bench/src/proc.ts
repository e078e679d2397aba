import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeOptionsOf } from '@tocsin/runtime';
import { freePort } from '@tocsin/testkit/ports';
import type pg from 'pg';

/** What Linux says about a process: CPU seconds (user + system) and peak RSS (VmHWM), from /proc. */
const TICKS = 100;

export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

/** A memory figure of /proc/<pid>/status in MB (NaN when the process is gone). */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set now (VmRSS). */
export const rssMb = (pid: number): number => statusMb(pid, 'VmRSS');

/** Peak resident set since the process started (VmHWM). */
export const peakRssMb = (pid: number): number => statusMb(pid, 'VmHWM');

/** The inodes of the sockets a process holds (from its fds: cheap, no /proc/net/tcp read). */
function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let link = '';
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) inodes.push(m[1]!);
    }
  } catch {
    return [];
  }
  return inodes;
}

/** Local TCP ports of these sockets (from /proc/net/tcp: tens of ms on a host with thousands of sockets). */
function localPorts(inodes: ReadonlySet<string>): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(Number.parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/**
 * CPU of the PostgreSQL backends serving some processes (found by their client ports in pg_stat_activity), summed
 * over every backend seen while sampling: `sample()` during the run, `seconds()` at the end. Shared server
 * processes (WAL writer, checkpointer) are not counted; nor is another engineer's load on the same server.
 *
 * The backends are looked up again (/proc/net/tcp, pg_stat_activity) only when the processes' sockets changed: a
 * sample otherwise reads their fd links and the backends' /proc stat. The benches sample in the process that runs
 * the measured work (the cosmos-ibc scan runs its ingestor in the harness): reading /proc/net/tcp every 250 ms on
 * a host with thousands of sockets blocked that event loop for ~25 ms each time.
 */
export class PgBackendCpu {
  readonly #start = new Map<number, number>();
  readonly #last = new Map<number, number>();
  /** The sockets of the processes when the backends were last looked up. */
  #sockets = '';
  #sampling: Promise<void> | null = null;
  constructor(
    private readonly admin: pg.Client,
    private readonly pids: () => number[],
  ) {}

  /** One sample at a time (they share the admin connection). */
  sample(): Promise<void> {
    this.#sampling ??= this.#sample().finally(() => {
      this.#sampling = null;
    });
    return this.#sampling;
  }

  async #sample(): Promise<void> {
    const inodes = new Set(this.pids().flatMap(socketInodes));
    const sockets = [...inodes].sort().join(',');
    const ports = sockets === this.#sockets ? new Set<number>() : localPorts(inodes);
    if (ports.size) {
      const r = await this.admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])',
        [[...ports]],
      );
      for (const { pid } of r.rows) if (!this.#start.has(pid)) this.#start.set(pid, cpuSeconds(pid));
    }
    this.#sockets = sockets;
    for (const pid of this.#start.keys()) {
      const c = cpuSeconds(pid);
      if (!Number.isNaN(c)) this.#last.set(pid, c);
    }
  }

  /** Restarts the count from now (the backends seen so far are kept). */
  async reset(): Promise<void> {
    await this.sample();
    for (const [pid, c] of this.#last) this.#start.set(pid, c);
  }

  seconds(): number {
    let s = 0;
    for (const [pid, start] of this.#start) {
      const last = this.#last.get(pid) ?? start;
      if (!Number.isNaN(start)) s += last - start;
    }
    return s;
  }
}

/**
 * Builds a service's production tree (`pnpm build --service <name>`: the bundle and the dependencies the image
 * carries) in a fresh temporary folder and returns it, so a benchmark measures the process users run (no tsx
 * loader, no TypeScript transform) — memory above all.
 */
export function productionTree(name: string): string {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const out = mkdtempSync(join(tmpdir(), `tocsin-tree-${name}-`));
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'deploy/build.ts', '--service', name, '--out', out],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`building the ${name} tree failed: ${r.stderr || r.stdout}`);
  return out;
}

/**
 * A tocsin service as it is deployed: its own process (`services/<name>/src/main.ts --config file`), ready once
 * its /readyz answers 200 (60 s at most). `tree`: a production tree (`pnpm build --service <name> --out DIR`) run
 * as the image runs it, `node --enable-source-maps DIR/dist/main.js`, instead of the sources through tsx. Either
 * way with the service's own Node flags (its `node-options` file, as the image, systemd and `tocsin up` start
 * it) before `nodeArgs`.
 */
export async function spawnService(
  name: string,
  config: Record<string, unknown>,
  nodeArgs: string[] = [],
  tree?: string,
): Promise<ChildProcess & { url: string }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));
  const file = join(dir, `${name}.yaml`);
  // JSON is YAML.
  writeFileSync(file, JSON.stringify({ ...config, http: { host: '127.0.0.1', port } }));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const entry = tree
    ? ['--enable-source-maps', join(tree, 'dist/main.js')]
    : ['--import', 'tsx', join(root, `services/${name}/src/main.ts`)];
  const own = nodeOptionsOf(tree ?? join(root, 'services', name));
  const child = spawn(process.execPath, [...own, ...nodeArgs, ...entry, '--config', file], {
    cwd: tree ?? root,
    // PGOPTIONS reaches node-postgres (e.g. `-c log_min_duration_statement=0` to profile the services' SQL).
    env: { PATH: process.env.PATH, ...(process.env.PGOPTIONS ? { PGOPTIONS: process.env.PGOPTIONS } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`))),
  );
  exited.catch(() => undefined);
  const deadline = performance.now() + 60_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return Object.assign(child, { url: `http://127.0.0.1:${port}` });
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become ready within 60 s`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await gone;
  clearTimeout(timer);
}

/** Polls `done` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 5,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await done()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
