import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../embedded/embeddedPostgres.ts';

export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function freePort(preferred?: number): Promise<number> {
  const tryPort = (p: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(p, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
      });
    });
  return preferred ? tryPort(preferred).catch(() => tryPort(0)) : tryPort(0);
}

export class MissingNatsServer extends Error {
  override readonly name = 'MissingNatsServer';
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
  if (await canConnect('127.0.0.1', localPort))
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
    if (await canConnect('127.0.0.1', port)) {
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
