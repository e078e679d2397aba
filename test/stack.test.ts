import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '@tocsin/events';
import { expect, inject, it } from 'vitest';

// The newcomer path: `pnpm start` with no config file and no DATABASE_URL runs the demo on embedded PostgreSQL,
// and alerts reach the console notifier. Waits on the stack's own output, never on a timer.
it('tocsin up (demo, embedded PostgreSQL) shows alerts on the console and stops cleanly on Ctrl-C', async () => {
  const prefix = `t_stack_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tocsin-up-'));
  const { DATABASE_URL: _d, TEST_DATABASE_URL: _t, TOCSIN_CONFIG: _c, ...parentEnv } = process.env;
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, '..', 'packages', 'cli', 'bin', 'tocsin.mjs'), 'up', '--data-dir', dataDir],
    {
      cwd: dataDir,
      env: { ...parentEnv, NATS_URL: inject('natsUrl'), TOCSIN_SUBJECT_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const seen = (re: RegExp) => re.test(out);
  const wanted = [
    /PostgreSQL .*\(embedded PGlite\)/,
    // The console, and the demo's login link to it (the token the demo generated).
    /console {5}http:\/\/127\.0\.0\.1:\d+\/ /,
    /login {7}http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{32}\n/,
    /NOTICE info · system/,
    /has expired/,
    /is frozen/,
    /expires in/,
    /through its trusting period/,
    // ics-ccv against the ICS provider simulator: our validator (bob) has not opted in, a launch fails.
    /has not opted in/,
    /failed to launch/,
    // The Harmony part: the demo's backup node starts signing with the main node's key 30 s in.
    /FIRING critical · harmony-signers[\s\S]*Double-sign risk: BLS key/,
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `stack output lacks ${wanted.filter((w) => !seen(w)).join(', ')}:\n${out.slice(-4000)}`,
            ),
          ),
        120_000,
      );
      const onData = (b: Buffer) => {
        out += b.toString();
        if (wanted.every(seen)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) =>
        reject(new Error(`tocsin up exited early (${code}):\n${out.slice(-4000)}`)),
      );
    });
    // 'close', not 'exit': the last lines asserted below may still be unread when 'exit' fires.
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('stopped');
    expect(out).not.toMatch(/tick failed|handler failed/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    const nc = await connect({ servers: inject('natsUrl') });
    const jsm = await jetstreamManager(nc);
    for (const s of Object.values(subjects(prefix).streams))
      await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  }
  // Longer than the output deadline above (120 s), so a slow start fails with what was missing, not a bare timeout.
}, 180_000);
