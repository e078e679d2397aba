import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../src/index.ts';

// Start-up and shutdown as an operator sees them: the real service process, its exit code and what it prints.
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tocsin-startup-'));
const echo = join(here, 'fixtures', 'echo-service.ts');
const dbProbe = join(here, 'fixtures', 'db-service.ts');
let env: TestEnv;

beforeAll(async () => {
  env = await testEnv('startup');
});
afterAll(async () => env.cleanup());

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Runs a service to its exit (a start-up failure exits by itself). */
function run(main: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...env.env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

function oneLine(stderr: string): string {
  const lines = stderr.split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

/** A running service process and everything it printed so far. */
function start(main: string, args: string[], extraEnv: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...env.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return {
    child,
    closed,
    output: () => out,
    /** Resolves with the first match in the output; rejects if the process ends first. */
    async waitFor(re: RegExp): Promise<RegExpMatchArray> {
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        const ended = await Promise.race([
          closed.then(() => true),
          new Promise<false>((r) => setTimeout(() => r(false), 50)),
        ]);
        if (ended && !out.match(re)) throw new Error(`exited before printing ${re}:\n${out}`);
      }
    },
  };
}

describe('configuration errors: one clear line or one line per field, exit 1, no stack', () => {
  it('a YAML syntax error names file:line:col', () => {
    const f = file('syntax.yaml', 'echo:\n  greeting: hi\n   interval: 5s\n');
    const r = run(echo, ['--config', f]);
    expect(r.code).toBe(EXIT_CODES.config);
    expect(oneLine(r.stderr)).toMatch(new RegExp(`^echo: ${f}:2:\\d+: not valid YAML: `));
  });

  it('a missing config file is named', () => {
    const f = join(dir, 'nowhere.yaml');
    const r = run(echo, ['--config', f]);
    expect(r.code).toBe(EXIT_CODES.config);
    expect(oneLine(r.stderr)).toBe(`echo: cannot read ${f}: no such file`);
  });

  it('a typo at the top level is named, with the section it is close to', () => {
    const f = file('typo.yaml', 'echo:\n  greeting: hi\nwebhok:\n  console: true\nheartbeat_interval: 0\n');
    const r = run(echo, ['--config', f]);
    expect(r.code).toBe(EXIT_CODES.config);
    expect(r.stderr.split('\n')).toEqual([
      `echo: invalid configuration (${f}):`,
      '  heartbeat_interval: must be more than 0 (e.g. 30s, 10m)',
      '  webhok: unknown key; did you mean "webhook"?',
    ]);
  });

  it('a bad TOCSIN__ value names the variable', () => {
    const f = file('ok.yaml', 'echo:\n  greeting: hi\n');
    const r = run(echo, ['--config', f], { TOCSIN__NATS__REPLICAS: 'three' });
    expect(r.code).toBe(EXIT_CODES.config);
    expect(r.stderr.split('\n')).toEqual([
      `echo: invalid configuration (${f}):`,
      '  nats.replicas: Invalid input: expected number, received string (from TOCSIN__NATS__REPLICAS)',
    ]);
  });

  it('a database role that does not exist is one line naming the database (password masked)', () => {
    const url = new URL(env.databaseUrl);
    url.username = 'no_such_role_tocsin';
    url.password = 'pw';
    const r = run(dbProbe, [], { DATABASE_URL: url.toString() });
    expect(r.code).toBe(EXIT_CODES.config);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^dbprobe: database\.url: PostgreSQL at postgres:\/\/\*\*\*:\*\*\*@.* refused: /);
    expect(line).toContain('no_such_role_tocsin');
    expect(line).not.toContain(':pw@');
  });

  it('a port taken by another process exits 3 (tocsin up then picks another port)', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const f = file('port.yaml', 'echo:\n  greeting: hi\n');
      const r = run(echo, ['--config', f], { TOCSIN_HTTP_PORT: String(port) });
      expect(r.code).toBe(EXIT_CODES.portInUse);
      expect(oneLine(r.stderr)).toBe(
        `echo: http port ${port} on 127.0.0.1 is in use by another process (http.port, TOCSIN_HTTP_PORT)`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe('an unreachable NATS', () => {
  it('is retried and logged (URL redacted, reason), /healthz and /readyz answer meanwhile, one SIGINT stops it', async () => {
    const port = await freePort();
    const f = file('nonats.yaml', 'echo:\n  greeting: hi\n');
    const svc = start(echo, ['--config', f], {
      NATS_URL: `nats://operator:hunter2@127.0.0.1:${port}`,
      TOCSIN_LOG_LEVEL: 'info',
    });
    const [, url] = await svc.waitFor(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"echo starting"/);
    // Two attempts, each logged with the reason and the redacted URL.
    await svc.waitFor(/"attempt":2/);
    const failures = svc
      .output()
      .split('\n')
      .filter((l) => l.includes('cannot connect to NATS'));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toContain(`nats://***:***@127.0.0.1:${port}`);
    expect(failures[0]).toMatch(/ECONNREFUSED|connection refused/);
    expect(svc.output()).not.toContain('hunter2');

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      ready: false,
      waiting_for: `NATS at nats://***:***@127.0.0.1:${port}`,
    });

    svc.child.kill('SIGINT');
    expect(await svc.closed).toBe(EXIT_CODES.ok);
    expect(svc.output()).toContain('start-up interrupted; stopping');
  });
});
