/**
 * `pnpm --filter @tocsin/harmony-agent bundle [--out FILE]`: the agent as one JavaScript file for Node 20+, with its
 * dependencies inside, to copy to a validator server (`scp dist/tocsin-harmony-agent.mjs validator:`) and run with
 * `node tocsin-harmony-agent.mjs --service-url ... --token-file ...`. Nothing to install there but Node.
 */
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

export const defaultBundlePath = resolve(import.meta.dirname, '..', 'dist', 'tocsin-harmony-agent.mjs');

export async function bundleAgent(out = defaultBundlePath): Promise<string> {
  await build({
    entryPoints: [join(import.meta.dirname, '..', 'src', 'bin.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'linked',
    // The shebang of src/bin.ts is kept; CommonJS dependencies bundled into ESM need require().
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = await bundleAgent(values.out ? resolve(values.out) : undefined);
  console.log(`wrote ${out} (${dirname(out)})`);
}
