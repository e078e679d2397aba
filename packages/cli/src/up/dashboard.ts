import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The console dashboard's build script in a checkout (an installed image ships web/dist and not this). */
const buildScript = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'services',
  'console',
  'web',
  'build.ts',
);

/**
 * From a checkout, builds the console's dashboard when web/dist is missing or stale (about a second), so `pnpm
 * start` serves the page of the sources checked out with no separate step. A failed build is said and not fatal:
 * the API works without the page, and `/` then says how to build it.
 */
export async function buildDashboard(say: (line: string) => void): Promise<void> {
  if (!existsSync(buildScript)) return;
  const started = performance.now();
  try {
    const { ensureWebBuilt } = (await import(pathToFileURL(buildScript).href)) as {
      ensureWebBuilt: () => Promise<boolean>;
    };
    if (await ensureWebBuilt())
      say(`console dashboard built (${Math.round(performance.now() - started)} ms)`);
  } catch (err) {
    say(`console dashboard not built: ${(err as Error).message} (pnpm --filter @tocsin/console web:build)`);
  }
}
