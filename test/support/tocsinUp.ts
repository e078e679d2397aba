import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { subjects } from '@tocsin/events';
import { cleanEnv } from './processes.ts';

const bin = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'bin', 'tocsin.mjs');

/** `tocsin up` as a newcomer runs it (demo, embedded PostgreSQL), isolated: its own subject prefix and data dir. */
export interface UpStack {
  /** Its subject prefix (what a subscriber of its own needs). */
  prefix: string;
  output: () => string;
  /** The first match of `re` in the output, as it arrives; fails naming what is missing after `ms`. */
  waitFor: (re: RegExp, ms: number) => Promise<RegExpMatchArray>;
  /** Ctrl-C, then its streams deleted and its data dir removed. */
  stop: () => Promise<void>;
}

export function tocsinUp(name: string, natsUrl: string, args: string[] = []): UpStack {
  const prefix = `t_${name}_${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), `tocsin-${name}-`));
  const child = spawn(process.execPath, [bin, 'up', '--data-dir', dataDir, ...args], {
    cwd: dataDir,
    env: { ...cleanEnv(), NATS_URL: natsUrl, TOCSIN_SUBJECT_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.once('exit', (code) => {
    out += `\n[tocsin up exited: ${code}]\n`;
  });
  const waitFor = (re: RegExp, ms: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(re);
        if (!m) return false;
        done();
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`tocsin up (${name}) output lacks ${re} after ${ms} ms:\n${out.slice(-4000)}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        child.stdout.off('data', check);
        child.stderr.off('data', check);
      };
      if (check()) return;
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await closed;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
    const nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    for (const s of Object.values(subjects(prefix).streams))
      await jsm.streams.delete(s).catch(() => undefined);
    await nc.close();
  };
  return { prefix, output: () => out, waitFor, stop };
}

/**
 * The console's login (demo): the token from the login link `tocsin up` prints, the URL from the console's own
 * "started" log line. The summary's port was free when `up` looked; when another stack took it first (tests in
 * parallel), the supervisor starts the console again on another port, and only its log says which.
 */
export async function consoleLogin(stack: UpStack, ms = 120_000): Promise<{ base: string; token: string }> {
  const [, , token] = await stack.waitFor(/(https?:\/\/[^\s/]+)\/#token=([A-Za-z0-9_.~-]+)/, ms);
  const [, base] = await stack.waitFor(/console started \{"url":"(https?:\/\/[^"]+)"/, ms);
  return { base: base!, token: token! };
}
