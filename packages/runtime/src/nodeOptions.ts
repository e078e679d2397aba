import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file in a service's folder (and so in its production tree) that holds the Node flags it runs with. */
export const NODE_OPTIONS_FILE = 'node-options';

/**
 * The Node flags a service is started with, from `<package dir>/node-options` (flags separated by whitespace, no
 * comments: the shell reads it as it is): one home for every launcher. The image's CMD and the systemd unit read
 * the file in the production tree (`$(cat node-options)`), `tocsin up` and the benchmarks read it here. No file:
 * no flags.
 */
export function nodeOptionsOf(packageDir: string): string[] {
  const file = join(packageDir, NODE_OPTIONS_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean);
}
