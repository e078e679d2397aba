import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect, inject, it } from 'vitest';
import { demoConsoleToken } from '../src/up/demo.ts';
import { up } from '../src/up/up.ts';

it('the demo prints the console URL and a login link with a generated token, kept in a mode 600 file only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-up-console-'));
  let printed = '';
  let bannerOut: () => void = () => undefined;
  const banner = new Promise<void>((r) => (bannerOut = r));
  const out = new Writable({
    write(chunk, _enc, done) {
      printed += String(chunk);
      if (printed.includes('Press Ctrl-C')) bannerOut();
      done();
    },
  });
  await up({
    dataDir: dir,
    only: ['console'],
    pretty: false,
    out,
    until: banner,
    env: { NATS_URL: inject('natsUrl'), DATABASE_URL: inject('databaseUrl') },
  });
  const file = join(dir, 'console-token');
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const token = readFileSync(file, 'utf8').trim();
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  const m = /^ {2}console {5}(http:\/\/127\.0\.0\.1:(\d+)\/) {2}\(API: \/api\/docs\)$/m.exec(printed);
  expect(m, printed).not.toBeNull();
  expect(printed).toContain(`  login       http://127.0.0.1:${m![2]}/#token=${token}\n`);
  // Printed once, and the generated config names the file, never the token.
  expect(printed.split(token)).toHaveLength(2);
  const demoYaml = readFileSync(join(dir, 'demo.yaml'), 'utf8');
  expect(demoYaml).toContain(`token_file: ${file}`);
  expect(demoYaml).not.toContain(token);
});

it('keeps the demo token across restarts, and replaces one that others can read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-console-token-'));
  const first = demoConsoleToken(dir);
  expect(demoConsoleToken(dir)).toEqual(first);
  chmodSync(first.file, 0o644);
  const replaced = demoConsoleToken(dir);
  expect(replaced.token).not.toBe(first.token);
  expect(statSync(replaced.file).mode & 0o777).toBe(0o600);
});
