import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { canConnect, freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    databaseUrl: string;
  }
}

let child: ChildProcess | undefined;
let storeDir: string | undefined;

/**
 * Finds the NATS and PostgreSQL the tests use. NATS: NATS_URL, else 127.0.0.1:4222 if it answers, else a
 * nats-server with JetStream on a free port started here. PostgreSQL: TEST_DATABASE_URL, else DATABASE_URL,
 * else the local server's `test` database (each test file makes its own schema inside it).
 */
export default async function setup(project: TestProject) {
  let natsUrl = process.env.NATS_URL;
  // TOCSIN_TEST_NATS_PROBE_PORT lets a run pretend nothing serves on 4222 (to exercise the fallback below).
  const probePort = Number(process.env.TOCSIN_TEST_NATS_PROBE_PORT ?? 4222);
  if (!natsUrl) {
    if (await canConnect('127.0.0.1', probePort)) {
      natsUrl = `nats://127.0.0.1:${probePort}`;
    } else {
      const port = await freePort();
      storeDir = mkdtempSync(join(tmpdir(), 'tocsin-test-nats-'));
      child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
        stdio: 'ignore',
      });
      child.on('error', (err) => {
        throw new Error(`could not start nats-server (is it installed?): ${err.message}`);
      });
      for (let i = 0; i < 100 && !(await canConnect('127.0.0.1', port)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      natsUrl = `nats://127.0.0.1:${port}`;
      process.stdout.write(
        `no NATS on 127.0.0.1:${probePort}: started nats-server -js on ${natsUrl} for this run\n`,
      );
    }
  }
  const databaseUrl =
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  project.provide('natsUrl', natsUrl);
  project.provide('databaseUrl', databaseUrl);
  return () => {
    child?.kill('SIGTERM');
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
  };
}
