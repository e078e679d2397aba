import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { canConnect, eventually, freePort } from '@tocsin/testkit';

// Servers of the fault suite's own, on free ports: the shared NATS (4222) and PostgreSQL (5432) are never touched,
// because these tests kill, stop and restart them.

/** nats-server: $NATS_SERVER, else Debian's /usr/sbin (not on a normal user's PATH), else the PATH. */
const NATS_SERVER =
  process.env.NATS_SERVER ??
  ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find((p) =>
    existsSync(p),
  ) ??
  'nats-server';

/** Resolves once `child` has exited (or at once if it already has). */
function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

export interface NatsNode {
  name: string;
  port: number;
  url: string;
  /** The process, while it runs. */
  child: ChildProcess | undefined;
  /** kill -9; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** Starts it again with the same port, name and store (resolves once it accepts connections). */
  start(): Promise<void>;
  /** Its last output lines, for failure messages. */
  output(): string;
}

function natsNode(name: string, port: number, storeDir: string, extra: string[]): NatsNode {
  let child: ChildProcess | undefined;
  let out = '';
  const node: NatsNode = {
    name,
    port,
    url: `nats://127.0.0.1:${port}`,
    get child() {
      return child;
    },
    async kill9() {
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      await exitOf(c);
      child = undefined;
    },
    async start() {
      const c = spawn(
        NATS_SERVER,
        ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, '-n', name, ...extra],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = c;
      const keep = (b: Buffer) => {
        out = (out + b.toString()).slice(-8000);
      };
      c.stdout?.on('data', keep);
      c.stderr?.on('data', keep);
      await eventually(
        () => canConnect('127.0.0.1', port),
        20_000,
        `nats-server ${name} on port ${port}: ${out}`,
      );
    },
    output: () => out,
  };
  return node;
}

/** One nats-server with JetStream, its store in a temp dir. */
export async function startNatsServer(): Promise<NatsNode & { close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-faults-nats-'));
  const node = natsNode('faults-single', await freePort(), dir, []);
  await node.start();
  return Object.assign(node, {
    async close() {
      await node.kill9();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Comma-separated client URLs of every node (what the services' `nats.url` takes). */
  url: string;
  node(name: string): NatsNode;
  close(): Promise<void>;
}

/** A JetStream cluster of `size` nodes on localhost, each with its own store; resolves once JetStream answers. */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'tocsin-faults-cluster-'));
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const routes = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes = ports.map((port, i) =>
    natsNode(`n${i + 1}`, port, join(root, `n${i + 1}`), [
      '--cluster_name',
      'tocsin-faults',
      '--cluster',
      `nats://127.0.0.1:${routes[i]}`,
      '--routes',
      routes
        .filter((_, j) => j !== i)
        .map((r) => `nats://127.0.0.1:${r}`)
        .join(','),
    ]),
  );
  await Promise.all(nodes.map((n) => n.start()));
  const url = nodes.map((n) => n.url).join(',');
  // JetStream answers once the meta group has a leader and every peer is known.
  await eventually(
    async () => {
      const nc = await connect({ servers: url });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2000 });
        const info = await jsm.getAccountInfo();
        return info !== undefined;
      } finally {
        await nc.close();
      }
    },
    60_000,
    `the NATS cluster's JetStream (${nodes.map((n) => n.output()).join('\n')})`,
  );
  return {
    nodes,
    url,
    node: (name) => nodes.find((n) => n.name === name)!,
    async close() {
      await Promise.all(nodes.map((n) => n.kill9()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The newest PostgreSQL server binaries (Debian's /usr/lib/postgresql/<version>/bin). */
function pgBin(tool: string): string {
  const base = '/usr/lib/postgresql';
  const versions = readdirSync(base).sort((a, b) => Number(a) - Number(b));
  return join(base, versions[versions.length - 1]!, 'bin', tool);
}

export interface PostgresServer {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp dir, trust auth, a free port). PostgreSQL refuses to run
 * as root, so as root the binaries run as the `postgres` user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-faults-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', pgBin(tool), ...args], { stdio: 'pipe' })
      : execFileSync(pgBin(tool), args, { stdio: 'pipe' });
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    run('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    async stop() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    async close() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
