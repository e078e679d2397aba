import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '@tocsin/cli/catalog';
import { testEnv } from '@tocsin/testkit';
import { expect, it } from 'vitest';
import { cleanEnv } from '../support/processes.ts';

// The `tocsin` bin as a user runs it.
const BIN = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'bin', 'tocsin.mjs');
const tocsin = (args: string[], env: NodeJS.ProcessEnv = cleanEnv()) =>
  spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

it('--version prints the version of the CLI package', () => {
  const r = tocsin(['--version']);
  expect(r.status).toBe(0);
  const { version } = JSON.parse(readFileSync(join(BIN, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  expect(r.stdout.trim()).toBe(version);
});

it('up --help lists every service of the catalog and the environment variables the stack reads', () => {
  const r = tocsin(['up', '--help']);
  expect(r.status).toBe(0);
  for (const s of SERVICES) expect(r.stdout).toMatch(new RegExp(`^ {2}${s.name} +port ${s.port}`, 'm'));
  for (const v of [
    'NATS_URL',
    'DATABASE_URL',
    'TOCSIN_SUBJECT_PREFIX',
    'TOCSIN_CONFIG',
    'TOCSIN__<SECTION>__<KEY>',
  ])
    expect(r.stdout).toContain(v);
});

it('status as a process: exit 1 and a FAIL line when nothing runs on the prefix; --json for scripts', async () => {
  const env = await testEnv('cli-process');
  try {
    const r = tocsin(['status', '--json', '--timeout', '1000'], { ...cleanEnv(), ...env.env });
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; level: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'nats')?.level).toBe('ok');
    expect(report.checks.find((c) => c.name === 'alerter')?.level).toBe('fail');
  } finally {
    await env.cleanup();
  }
});
