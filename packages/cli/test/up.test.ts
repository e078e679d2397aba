import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, SERVICES } from '../src/catalog.ts';
import { Supervisor } from '../src/up/supervisor.ts';
import { up } from '../src/up/up.ts';

// `tocsin up` as an operator meets it: wrong names, broken config, Ctrl-C, and a port taken under its feet.
const dir = mkdtempSync(join(tmpdir(), 'tocsin-up-test-'));
let env: TestEnv;

beforeAll(async () => {
  env = await testEnv('cli_up');
});
afterAll(async () => env.cleanup());

function sink() {
  let text = '';
  const stream = new Writable({
    write(c, _e, cb) {
      text += c.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('tocsin up refuses what cannot work', () => {
  it('an unknown --only name, with the list of services', async () => {
    const err = sink();
    const code = await up({
      only: ['alerter', 'notifer-slack'],
      env: env.env,
      err: err.stream,
      until: new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(err.text()).toBe(
      `tocsin up: no service named "notifer-slack" (--only); services: ${SERVICES.map((s) => s.name).join(', ')}\n`,
    );
    expect(SERVICES.map((s) => s.name)).toEqual(
      expect.arrayContaining(['alerter', 'cosmos-ibc', 'notifier-slack', 'notifier-webhook']),
    );
  });

  it('a config file with a YAML error, in one line with its position', async () => {
    const f = file('broken.yaml', 'webhook:\n  console: true\n   targets: []\n');
    const err = sink();
    const code = await up({
      config: f,
      env: env.env,
      err: err.stream,
      dataDir: dir,
      until: new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(err.text()).toMatch(new RegExp(`^tocsin up: ${f}:2:\\d+: not valid YAML: [^\\n]+\\n$`));
  });

  it('exits 1 once every service has exited on a configuration error, instead of waiting for Ctrl-C', async () => {
    const f = file('typo.yaml', 'webhook:\n  console: true\nwebhok:\n  console: true\n');
    const out = sink();
    const err = sink();
    const code = await up({
      config: f,
      only: ['alerter', 'notifier-webhook'],
      env: env.env,
      out: out.stream,
      err: err.stream,
      dataDir: dir,
      pretty: true,
      until: new Promise(() => {}),
    });
    expect(code).toBe(1);
    expect(out.text()).toContain('webhok: unknown key; did you mean "webhook"?');
    expect(err.text()).toContain('tocsin up: every service has exited: ');
    expect(err.text()).toContain('alerter (configuration error)');
    expect(err.text()).toContain('notifier-webhook (configuration error)');
  });
});

describe('ports', () => {
  it('a port taken between the check and the bind: the service starts again on another port, no crash loop', async () => {
    const blocker = createServer();
    const taken = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const f = file('echo.yaml', 'echo:\n  greeting: hi\n');
    const out = sink();
    const moves: { name: string; port: number }[] = [];
    const sup = new Supervisor(
      [
        {
          name: 'echo',
          main: join(repoRoot, 'packages', 'runtime', 'test', 'fixtures', 'echo-service.ts'),
          env: { ...env.env, TOCSIN_CONFIG: f, TOCSIN_LOG_LEVEL: 'info' },
          port: taken,
        },
      ],
      // `tocsin up` prints the console's login link again from this (the first one names the taken port).
      { out: out.stream, pretty: true, onPortChanged: (name, port) => moves.push({ name, port }) },
    );
    try {
      sup.start();
      for (let i = 0; i < 1200 && !out.text().includes('echo started'); i++)
        await new Promise((r) => setTimeout(r, 50));
      const text = out.text();
      expect(text).toContain(`http port ${taken} on 127.0.0.1 is in use by another process`);
      const moved = text.match(
        new RegExp(`port ${taken} was taken; starting again on (http://127\\.0\\.0\\.1:\\d+)`),
      );
      expect(moved).not.toBeNull();
      expect(text).toMatch(/echo started/);
      expect(text).not.toContain('restarting in');
      expect((await fetch(`${moved![1]}/healthz`)).status).toBe(200);
      expect(moves).toEqual([{ name: 'echo', port: Number(new URL(moved![1]!).port) }]);
    } finally {
      await sup.stop();
      blocker.close();
    }
  });
});

describe('Ctrl-C', () => {
  it('`pnpm start` stops on one Ctrl-C and exits 0, without ELIFECYCLE', async () => {
    const f = file('ctrlc.yaml', 'webhook:\n  console: true\n');
    // Its own process group, signalled as a whole, as a terminal does on Ctrl-C.
    const child = spawn('pnpm', ['start', '--config', f, '--only', 'notifier-webhook'], {
      cwd: repoRoot,
      env: { ...env.env, TOCSIN_LOG_LEVEL: 'info' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    let done = false;
    void closed.then(() => {
      done = true;
    });
    while (!done && !text.includes('notifier-webhook started')) await new Promise((r) => setTimeout(r, 50));
    expect(text).toContain('notifier-webhook started');
    process.kill(-child.pid!, 'SIGINT');
    expect(await closed).toBe(0);
    expect(text).toContain('stopped');
    expect(text).not.toContain('ELIFECYCLE');
  });
});
