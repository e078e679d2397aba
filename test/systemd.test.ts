import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// systemd-analyze reads the units offline (no systemd needs to run): unknown keys and bad values are warnings on
// stderr, so a clean verify prints nothing. Each service gets an instance of the template, with its drop-ins.
const root = join(import.meta.dirname, '..');
const dir = join(root, 'deploy', 'systemd');
const services = readdirSync(join(root, 'services')).filter((d) =>
  existsSync(join(root, 'services', d, 'src', 'main.ts')),
);
let work: string;

const analyze = (...args: string[]) => {
  const r = spawnSync('systemd-analyze', args, { cwd: work, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stderr: r.stderr };
};

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tocsin-systemd-'));
  cpSync(dir, work, { recursive: true });
  for (const s of services) copyFileSync(join(work, 'tocsin@.service'), join(work, `tocsin@${s}.service`));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('deploy/systemd', () => {
  it('systemd-analyze verify: every service instance and the target load without a warning', () => {
    const r = analyze(
      'verify',
      '--man=no',
      ...services.map((s) => `./tocsin@${s}.service`),
      './tocsin.target',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(services)('tocsin@%s is hardened (systemd-analyze security: exposure at most 2.0 of 10)', (s) => {
    const r = analyze('security', '--offline=yes', '--threshold=20', `./tocsin@${s}.service`);
    expect(r.status, r.out).toBe(0);
    const exposure = Number(/Overall exposure level for [^:]+: ([\d.]+)/.exec(r.out)?.[1]);
    expect(exposure).toBeLessThanOrEqual(2);
  });

  it('reads secrets as credentials and the rest from EnvironmentFile, with no secret in the unit', () => {
    const unit = readFileSync(join(dir, 'tocsin@.service'), 'utf8');
    expect(unit).toMatch(/^LoadCredential=pgpass:\/etc\/tocsin\/credentials\/pgpass$/m);
    expect(unit).toMatch(/^Environment=PGPASSFILE=%d\/pgpass$/m);
    expect(unit).toMatch(/^EnvironmentFile=-\/etc\/tocsin\/tocsin.env$/m);
    expect(unit).toMatch(/^DynamicUser=yes$/m);
    const dropIns = readdirSync(dir).filter((f) => f.endsWith('.d'));
    expect(dropIns.sort()).toEqual([
      'tocsin@console.service.d',
      'tocsin@ics-ccv.service.d',
      'tocsin@notifier-discord.service.d',
      'tocsin@notifier-slack.service.d',
      'tocsin@notifier-telegram.service.d',
    ]);
    for (const d of dropIns) {
      const conf = readFileSync(join(dir, d, 'credentials.conf'), 'utf8');
      for (const line of conf.split('\n').filter((l) => l.startsWith('LoadCredential=')))
        expect(line).toMatch(/^LoadCredential=(\w+):\/etc\/tocsin\/credentials\/\1$/);
    }
  });
});
