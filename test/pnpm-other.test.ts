import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

// A fresh clone on a machine whose global pnpm is another pnpm 10 than package.json pins. pnpm 10 would switch
// to the pinned version, downloading and verifying it; where that fails (here: the registry is unreachable, as
// for the user whose verification failed) it refused to run at all. The repo's .npmrc lets the pnpm at hand run.
const OTHER = '10.20.0';
const root = join(import.meta.dirname, '..');
const pinned = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string }
).packageManager.replace(/^pnpm@/, '');
let work: string;
let clone: string;
let env: NodeJS.ProcessEnv;

/** The other pnpm, installed once per machine under the temporary folder (npm registry needed that once). */
function otherPnpm(): string {
  const prefix = join(tmpdir(), `tocsin-test-pnpm-${OTHER}`);
  const bin = join(prefix, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'pnpm'))) {
    const staging = mkdtempSync(`${prefix}-`);
    execFileSync('npm', ['install', '--prefix', staging, '--no-audit', '--no-fund', `pnpm@${OTHER}`], {
      stdio: 'ignore',
    });
    // Renamed into place whole, so a parallel or interrupted run never sees half an install.
    try {
      renameSync(staging, prefix);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run was first
    }
  }
  return bin;
}

function pnpm(...args: string[]) {
  const r = spawnSync('pnpm', args, { cwd: clone, env, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(() => {
  expect(pinned).not.toBe(OTHER);
  const bin = otherPnpm();
  const store = execFileSync('pnpm', ['store', 'path'], { cwd: root, encoding: 'utf8' }).trim();
  work = mkdtempSync(join(tmpdir(), 'tocsin-pnpm-other-'));
  // The working tree as a clone would have it: tracked and new files, nothing ignored (no node_modules).
  clone = join(work, 'repo');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(root, f), join(clone, f));
  }
  const home = join(work, 'home');
  mkdirSync(home);
  const { PNPM_HOME: _h, npm_config_manage_package_manager_versions: _m, ...rest } = process.env;
  env = {
    ...rest,
    // A machine that never ran the pinned pnpm, and cannot fetch it.
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    npm_config_registry: 'http://127.0.0.1:9/',
    // Packages come from this machine's store (the test runs offline).
    npm_config_store_dir: store,
    PATH: `${bin}:${process.env.PATH}`,
    TURBO_TELEMETRY_DISABLED: '1',
    DO_NOT_TRACK: '1',
  };
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it(`another pnpm 10 (${OTHER}) installs, starts and type-checks the repo as the README says`, () => {
  const version = pnpm('--version');
  expect(version.out.trim(), version.out).toBe(OTHER);

  const install = pnpm('install', '--frozen-lockfile', '--offline');
  expect(install.code, install.out).toBe(0);
  expect(install.out).toContain(`using pnpm v${OTHER}`);

  // The CLI behind `pnpm start`, through the root script.
  const help = pnpm('tocsin', 'up', '--help');
  expect(help.code, help.out).toBe(0);
  expect(help.out).toContain('--config');

  // turbo runs each package's script with pnpm again (where an environment-variable workaround got lost).
  const typecheck = pnpm('exec', 'turbo', 'run', 'typecheck', '--filter', '@tocsin/events', '--no-daemon');
  expect(typecheck.code, typecheck.out).toBe(0);
}, 900_000);
