/**
 * Builds the dashboard into web/dist when it is missing or stale, so `pnpm start` serves the UI of the sources
 * checked out, with no separate step. Stale: a hash of the web sources, the Vite config and the console's
 * package.json (dependency versions) differs from the one dist/.stamp recorded. A build takes well under a second.
 *
 *   node --import tsx services/console/web/build.ts           build if stale
 *   node --import tsx services/console/web/build.ts --force   build anyway
 *
 * deploy/build.ts calls buildWeb() for images; the console server only serves dist (images have no Vite).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const webDir = import.meta.dirname;
export const webDist = join(webDir, 'dist');
const STAMP = '.stamp';

function sources(): string[] {
  const src = readdirSync(join(webDir, 'src'), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
  return [
    ...src,
    join(webDir, 'index.html'),
    join(webDir, 'vite.config.ts'),
    join(webDir, '..', 'package.json'),
  ]
    .map((f) => relative(webDir, f))
    .sort();
}

/** The hash dist/.stamp must hold for dist to be the build of these sources. */
export function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of sources())
    h.update(f)
      .update('\0')
      .update(readFileSync(join(webDir, f)))
      .update('\0');
  return h.digest('hex');
}

export function isFresh(): boolean {
  const stamp = join(webDist, STAMP);
  return (
    existsSync(join(webDist, 'index.html')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === sourceHash()
  );
}

/**
 * `vite build` into a fresh folder, then swapped in for dist: a server reading dist meanwhile sees the old build
 * or the new one, and two builds at once (parallel tests) each swap in a complete one.
 */
export async function buildWeb(): Promise<void> {
  const hash = sourceHash();
  const tmp = `${webDist}.tmp-${process.pid}`;
  const { build } = await import('vite');
  // Vite takes the mode from NODE_ENV when set: under vitest (NODE_ENV=test) it would ship Preact's development
  // build (+60% of JavaScript). The dashboard is always the production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(webDir, 'vite.config.ts'),
      mode: 'production',
      build: { outDir: tmp, emptyOutDir: true },
      logLevel: 'warn',
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  writeFileSync(join(tmp, STAMP), hash);
  const old = `${webDist}.old-${process.pid}`;
  if (existsSync(webDist)) renameSync(webDist, old);
  try {
    renameSync(tmp, webDist);
  } catch (err) {
    // Another build swapped its copy in between our two renames: theirs is as good as ours.
    if (!existsSync(join(webDist, 'index.html'))) throw err;
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** Builds when stale; answers whether it did. */
export async function ensureWebBuilt(): Promise<boolean> {
  if (isFresh()) return false;
  await buildWeb();
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const started = performance.now();
  const run = process.argv.includes('--force') ? buildWeb().then(() => true) : ensureWebBuilt();
  run.then(
    (built) => {
      if (built)
        console.log(
          `console: dashboard built into ${webDist} in ${Math.round(performance.now() - started)} ms`,
        );
    },
    (err: unknown) => {
      console.error(`console: dashboard build failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
