import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import getPort from 'get-port';
import isPortReachable from 'is-port-reachable';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../embedded/embeddedPostgres.ts';

/** Whether something listens on 127.0.0.1:port (a NATS server already running, one we started coming up). */
const answers = (port: number) => isPortReachable(port, { host: '127.0.0.1', timeout: 500 });

/**
 * A port free on 127.0.0.1: `preferred` if it is, else any. A port handed out is not handed out again by this
 * process for a while (get-port's lock), so two services started together never race for one.
 */
export function freePort(preferred?: number): Promise<number> {
  return getPort({ host: '127.0.0.1', ...(preferred ? { port: preferred } : {}) });
}

export class MissingNatsServer extends Error {
  override readonly name = 'MissingNatsServer';
  readonly code = 'nats_server_missing';
  constructor() {
    super(
      [
        'No NATS server answers on 127.0.0.1:4222, NATS_URL is not set, and `nats-server` is not installed.',
        'Install one of:',
        '  Debian/Ubuntu:  sudo apt-get install nats-server',
        '  macOS:          brew install nats-server',
        '  Docker:         docker compose up nats   (then run `pnpm start` again)',
        'or point tocsin at an existing server:  NATS_URL=nats://host:4222 pnpm start',
      ].join('\n'),
    );
  }
}

export function isMissingNatsServer(err: unknown): err is MissingNatsServer {
  return err instanceof MissingNatsServer;
}

export interface Nats {
  url: string;
  /** How it was found, for the banner. */
  origin: 'NATS_URL' | 'local server on 4222' | 'started nats-server';
  child?: ChildProcess;
}

/** NATS_URL if set; else a server on 127.0.0.1:4222; else a `nats-server -js` started here (store in dataDir). */
export async function resolveNats(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  opts: { localPort?: number; binary?: string } = {},
): Promise<Nats> {
  const localPort = opts.localPort ?? 4222;
  const binary = opts.binary ?? 'nats-server';
  if (env.NATS_URL) return { url: env.NATS_URL, origin: 'NATS_URL' };
  if (await answers(localPort))
    return { url: `nats://127.0.0.1:${localPort}`, origin: 'local server on 4222' };
  if (spawnSync(binary, ['--version']).error) throw new MissingNatsServer();
  const port = await freePort(localPort);
  const storeDir = join(dataDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // What it said last, for the error if it exits (a port taken since it was found free, a store it cannot lock).
  let said = '';
  child.stderr?.on('data', (d: Buffer) => {
    said = (said + d.toString()).slice(-2000);
  });
  let exited: string | null = null;
  // 'close': after it exited and its stderr was read to the end.
  child.once('close', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  for (let i = 0; i < 100 && !exited; i++) {
    // Ours answers only while it runs: something else that took the port meanwhile is not mistaken for it.
    if (await answers(port)) {
      if (exited) break;
      return { url: `nats://127.0.0.1:${port}`, origin: 'started nats-server', child };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  const tail = said.trim().split('\n').slice(-3).join('\n');
  throw new Error(
    `nats-server did not start on port ${port}${exited ? ` (${exited})` : ''}${tail ? `:\n${tail}` : ''}`,
  );
}

export interface Database {
  url: string;
  origin: 'DATABASE_URL' | 'embedded PGlite';
  embedded?: EmbeddedPostgres;
}

/** DATABASE_URL if set; else PGlite (PostgreSQL in WASM) served on a local port, data under dataDir/pg. */
export async function resolveDatabase(env: NodeJS.ProcessEnv, dataDir: string): Promise<Database> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, origin: 'DATABASE_URL' };
  const embedded = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg') });
  return { url: embedded.url, origin: 'embedded PGlite', embedded };
}
