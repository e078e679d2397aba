import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '@tocsin/events';
import { type HarmonySignersConfig, harmonySignersService, signersOf } from '@tocsin/harmony-signers';
import { type RunningService, startService } from '@tocsin/runtime';
import { type HarmonySim, startHarmonySim } from '@tocsin/sim-harmony';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * deploy/harmony-agent/install.sh, run for real against a temporary root: the test stands in for the validator
 * server (ssh and scp run locally, sudo runs the command as this user, systemctl records its calls), then starts the
 * installed agent exactly as the installed unit says, against a simulated node and a real harmony-signers.
 */
const repo = join(import.meta.dirname, '..');
const installer = join(repo, 'deploy', 'harmony-agent', 'install.sh');
const sourceUnit = join(repo, 'deploy', 'harmony-agent', 'tocsin-harmony-agent.service');
const KEY = 'e5'.repeat(48);
const user = userInfo().username;

let work: string;
let bundle: string;
let env: TestEnv;
let sim: HarmonySim;
let service: RunningService<HarmonySignersConfig>;
let token: string;
let tokenFile: string;
let fakeBin: string;

const sh = (file: string, body: string) => {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
};

function install(root: string, args: string[]) {
  return spawnSync('sh', [installer, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${fakeBin}:${process.env.PATH}`,
      SSH: join(fakeBin, 'fake-ssh'),
      SCP: join(fakeBin, 'fake-scp'),
      TOCSIN_AGENT_BUNDLE: bundle,
      TOCSIN_INSTALL_ROOT: root,
      TOCSIN_AGENT_USER: user,
      SYSTEMCTL: `${join(fakeBin, 'fake-systemctl')} ${join(root, 'systemctl.log')}`,
    },
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tocsin-hmy-install-'));
  bundle = join(work, 'agent-bundle.mjs');
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repo, 'services', 'harmony-agent', 'scripts', 'bundle.ts'), '--out', bundle],
    { cwd: repo, encoding: 'utf8' },
  );
  expect(built.status, built.stderr).toBe(0);

  fakeBin = join(work, 'bin');
  mkdirSync(fakeBin);
  // "ssh host command": the command, here. "scp -q files... host:dir/": a copy, here. sudo: as this user.
  sh(join(fakeBin, 'fake-ssh'), `shift\necho "$*" >> ${join(work, 'ssh.log')}\nexec sh -c "$*"`);
  sh(
    join(fakeBin, 'fake-scp'),
    '[ "$1" = -q ] && shift\nfor last; do :; done\ndest=$(printf %s "$last" | sed "s/^[^:]*://")\nwhile [ $# -gt 1 ]; do cp "$1" "$dest"; shift; done',
  );
  sh(join(fakeBin, 'sudo'), 'exec "$@"');
  sh(join(fakeBin, 'fake-systemctl'), 'log=$1; shift; echo "$*" >> "$log"');

  env = await testEnv('hmy_install');
  sim = await startHarmonySim({
    scenario: { nodes: [{ name: 'val-1', blskeys: [KEY], mode: 'Normal', is_backup: false }] },
  });
  service = await startService(harmonySignersService, {
    env: env.env,
    config: { ...env.config, harmony_signers: { sweep_interval: 0 } },
  });
  token = (await signersOf(service.ctx).tokens.create('discord:333333333333333333', 'installed')).token;
  tokenFile = join(work, 'harmony.token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await service?.stop();
  await sim?.close();
  await env?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** The unit's ExecStart and EnvironmentFile, with the server's paths moved under `root`. */
function commandOfUnit(root: string, unit: string) {
  const under = (p: string) => p.replace(/(^|\s)\/(opt|etc|var)\//g, `$1${root}/$2/`);
  const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  const envFile = /^EnvironmentFile=(.*)$/m.exec(unit)![1]!;
  const vars = Object.fromEntries(
    readFileSync(under(envFile), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const argv = under(exec).split(/\s+/);
  expect(argv.slice(0, 2)).toEqual(['/usr/bin/env', 'node']);
  return { args: argv.slice(2), vars };
}

describe('deploy/harmony-agent/install.sh', () => {
  it('installs the bundle, a 0600 token, the environment and the unit, starts the unit; the installed agent reports', async () => {
    const root = join(work, 'root-a');
    mkdirSync(root);
    const r = install(root, ['validator-1', service.url, tokenFile, 'one1installed', sim.nodeUrl('val-1')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('harmony agent running on validator-1');

    const mode = (p: string) => statSync(join(root, p)).mode & 0o777;
    expect(readFileSync(join(root, 'opt/tocsin/tocsin-harmony-agent.mjs'))).toEqual(readFileSync(bundle));
    expect(mode('opt/tocsin/tocsin-harmony-agent.mjs')).toBe(0o644);
    expect(readFileSync(join(root, 'etc/tocsin/harmony.token'), 'utf8').trim()).toBe(token);
    expect(mode('etc/tocsin/harmony.token')).toBe(0o600);
    expect(statSync(join(root, 'etc/tocsin/harmony.token')).uid).toBe(userInfo().uid);
    expect(readFileSync(join(root, 'etc/tocsin/harmony-agent.env'), 'utf8')).toBe(
      `TOCSIN_AGENT_SERVICE_URL=${service.url}\nTOCSIN_AGENT_NODE_URL=${sim.nodeUrl('val-1')}\n` +
        'TOCSIN_AGENT_VALIDATOR_ADDRESS=one1installed\n',
    );
    const unit = readFileSync(join(root, 'etc/systemd/system/tocsin-harmony-agent.service'), 'utf8');
    expect(unit).toBe(readFileSync(sourceUnit, 'utf8').replace(/^User=.*$/m, `User=${user}`));
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/tocsin\/harmony-agent\.env$/m);
    expect(unit).toMatch(
      /^ExecStart=\/usr\/bin\/env node \/opt\/tocsin\/tocsin-harmony-agent\.mjs --token-file \/etc\/tocsin\/harmony\.token --buffer-dir \/var\/lib\/tocsin-harmony-agent$/m,
    );
    expect(unit).toMatch(/^StateDirectory=tocsin-harmony-agent$/m);
    expect(readFileSync(join(root, 'systemctl.log'), 'utf8').trim().split('\n')).toEqual([
      'daemon-reload',
      'enable tocsin-harmony-agent',
      'restart tocsin-harmony-agent',
    ]);
    // No token on any command line (it went over stdin), and the staging directory is gone.
    const sshLog = readFileSync(join(work, 'ssh.log'), 'utf8');
    expect(sshLog).not.toContain(token);
    expect(r.stdout + r.stderr).not.toContain(token);
    const stage = /sh '([^']+)\/setup-server\.sh'/.exec(sshLog)![1]!;
    expect(existsSync(stage)).toBe(false);

    // What systemd would run: node, the installed bundle, the installed token and environment.
    const { args, vars } = commandOfUnit(root, unit);
    mkdirSync(join(root, 'var/lib/tocsin-harmony-agent'), { recursive: true }); // StateDirectory=
    const nc = await env.nats();
    const reports = collect<EventEnvelope>(nc, `${env.prefix}.events.harmony-signers.signer_report`);
    await nc.flush();
    let agent: ChildProcess | undefined;
    let out = '';
    try {
      agent = spawn(process.execPath, args, {
        env: { PATH: process.env.PATH, ...vars, TOCSIN_AGENT_HOSTNAME: 'installed-host' },
      });
      agent.stdout!.on('data', (d) => (out += d));
      agent.stderr!.on('data', (d) => (out += d));
      const report = await eventually(
        () => {
          const e = reports.items.find((x) => (x.data as { hostname: string }).hostname === 'installed-host');
          if (!e) throw new Error(`no report from the installed agent yet; its output:\n${out}`);
          return e;
        },
        20_000,
        'a report from the installed agent',
      );
      expect(report.data).toMatchObject({
        validator_address: 'one1installed',
        node_reachable: true,
        blskeys: [KEY],
        mode: 'Normal',
      });
      const exited = new Promise<number | null>((resolve) => agent!.once('exit', resolve));
      agent.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      reports.stop();
      if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    }
    expect(out).not.toContain(token);
  }, 60_000);

  it('runs again as an upgrade; refuses a missing or empty token file and missing arguments, installing nothing', () => {
    const root = join(work, 'root-b');
    mkdirSync(root);
    expect(install(root, ['validator-2', service.url, tokenFile]).status).toBe(0);
    const again = install(root, ['validator-2', service.url, tokenFile]);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(root, 'systemctl.log'), 'utf8').match(/^restart /gm)).toHaveLength(2);
    expect(statSync(join(root, 'etc/tocsin/harmony.token')).mode & 0o777).toBe(0o600);

    const empty = join(work, 'empty.token');
    writeFileSync(empty, '', { mode: 0o600 });
    const fresh = join(work, 'root-c');
    mkdirSync(fresh);
    for (const [args, message] of [
      [['validator-3', service.url, join(work, 'missing.token')], /no token in/],
      [['validator-3', service.url, empty], /no token in/],
      [['validator-3', service.url], /usage|install\.sh <ssh host>/],
      [['validator-3', `${service.url}\nX=1`, tokenFile], /line break/],
    ] as const) {
      const r = install(fresh, [...args]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(fresh, 'etc'))).toBe(false);
  });
});
