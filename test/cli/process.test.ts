import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublisher, provisionStreams } from '@tocsin/bus';
import { SERVICES } from '@tocsin/cli/catalog';
import { cosmosIbc, type Notification } from '@tocsin/events';
import { testEnv } from '@tocsin/testkit';
import { expect, it } from 'vitest';
import { clientStatus } from '../../services/alerter/test/fixtures.ts';
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

it('events export > file, then replay and rules check, as processes (the options as commander passes them)', async () => {
  const env = await testEnv('cli-process-replay');
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-process-'));
  try {
    const nc = await env.nats();
    await provisionStreams(nc, env.subjects);
    const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
    await publisher.publish(cosmosIbc.clientStatus, {
      chain_id: 'cosmoshub-4',
      dedup_key: 'process-test',
      data: clientStatus('07-tendermint-3', { elapsed: 60_000, status: 'Expired' }),
    });
    const exported = tocsin(['events', 'export', '--since', '1h'], { ...cleanEnv(), ...env.env });
    expect(exported.status).toBe(0);
    expect(exported.stderr).toContain('exported 1 events');
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, exported.stdout);
    const replayed = tocsin(
      ['replay', file, '--database-url', env.databaseUrl, '--drain', '1m', '--json'],
      cleanEnv(),
    );
    expect(replayed.stderr).toBe('');
    expect(replayed.status).toBe(0);
    const ns = replayed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Notification);
    expect(ns.map((n) => [n.transition, n.alerts[0]!.rule_id])).toEqual([['firing', 'ibc-client-expired']]);
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'alerter:\n  tick_interval: often\n');
    const checked = tocsin(['rules', 'check', config], cleanEnv());
    expect(checked.status).toBe(1);
    expect(checked.stderr).toMatch(/alerter\.tick_interval: "often" is not a duration/);
    // --at reaches the explanation: a window's next occurrence counted from then, in its zone.
    const good = join(dir, 'window.yaml');
    writeFileSync(
      good,
      'alerter:\n  maintenance:\n    - name: nightly\n      cron: "0 3 * * *"\n      duration: 1h\n' +
        '      timezone: Asia/Tokyo\n      matchers: [{ name: chain_id, value: cosmoshub-4 }]\n',
    );
    const explained = tocsin(['rules', 'check', good, '--at', '2026-06-01T00:00:00Z'], cleanEnv());
    expect(explained.stderr).toBe('');
    expect(explained.status).toBe(0);
    expect(explained.stdout).toContain('next: Tue 2 Jun 2026, 03:00 GMT+9 → Tue 2 Jun 2026, 04:00 GMT+9');
  } finally {
    await env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});
