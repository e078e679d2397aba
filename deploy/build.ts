/**
 * The production build. Development runs the TypeScript sources with tsx; images run JavaScript only.
 *
 *   pnpm build                                   dist/ (JavaScript for Node 20+) in every workspace package
 *   pnpm build --service alerter --out DIR       and the production tree of one service in DIR: `pnpm deploy
 *                                                --prod`, package exports pointing at dist/, no TypeScript left
 *
 * Each source file becomes one JavaScript file at the same place under dist/ (src/a/b.ts → dist/a/b.js), and every
 * file under src/ that is not TypeScript (default rules, …) is copied next to it, so paths a module computes from
 * its own location (migrations at the package root, rules beside their loader) are the same in both trees.
 * deploy/Dockerfile runs exactly this; test/deploy-tree.test.ts starts the result.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

export const repoRoot = resolve(import.meta.dirname, '..');
/** Oldest Node the output runs on: the development machines' (images use Node 22+). */
const target = 'node20';

interface PackageJson {
  name: string;
  version?: string;
  private?: boolean;
  type?: string;
  exports?: Record<string, string>;
  [key: string]: unknown;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

/** Workspace packages with TypeScript sources: every folder under packages/, tools/ and services/ with a src/. */
export function workspacePackages(root = repoRoot): string[] {
  return ['packages', 'tools', 'services'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const isTypeScript = (f: string) => f.endsWith('.ts') && !f.endsWith('.d.ts');
const isTest = (f: string) => /\.test\.ts$/.test(f);

/**
 * One output file per input file: every import stays an import (relative ones pointing at `.js`), so module
 * identity and file layout are those of the sources.
 */
const keepImports: Plugin = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('.')) return { path: args.path.replace(/\.ts$/, '.js'), external: true };
      return { path: args.path, external: true };
    });
  },
};

/** Builds dist/ of one package: JavaScript for every source file, other files under src/ copied as they are. */
export async function buildPackage(dir: string): Promise<void> {
  const src = join(dir, 'src');
  const out = join(dir, 'dist');
  rmSync(out, { recursive: true, force: true });
  const files = filesUnder(src);
  const entryPoints = files.filter((f) => isTypeScript(f) && !isTest(f));
  await build({
    entryPoints,
    outdir: out,
    outbase: src,
    bundle: true,
    plugins: [keepImports],
    format: 'esm',
    platform: 'node',
    target,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const f of files.filter((f) => !isTypeScript(f) && !f.endsWith('.d.ts'))) {
    const to = join(out, relative(src, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
}

/**
 * A package with a web UI (web/build.ts: the console's dashboard) also builds it into web/dist, which ships; its
 * sources do not (shipPackage).
 */
async function buildWebUi(dir: string): Promise<void> {
  const script = join(dir, 'web', 'build.ts');
  if (!existsSync(script)) return;
  const { buildWeb } = (await import(pathToFileURL(script).href)) as { buildWeb: () => Promise<void> };
  await buildWeb();
}

export async function buildAll(root = repoRoot): Promise<void> {
  await Promise.all(workspacePackages(root).flatMap((dir) => [buildPackage(dir), buildWebUi(dir)]));
}

/** `./src/x.ts` → `./dist/x.js`; anything else is left alone. */
export function distExports(exports: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!exports) return undefined;
  return Object.fromEntries(
    Object.entries(exports).map(([k, v]) => [k, v.replace(/^\.\/src\/(.*)\.ts$/, './dist/$1.js')]),
  );
}

/**
 * Writes a file through a new inode: files in a `pnpm deploy` tree may be hard links to the workspace's own
 * (or to the store), and writing in place would change those too.
 */
function replaceFile(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** A workspace package as it ships: package.json with dist exports, dist/ and its run-time files, no sources. */
function shipPackage(dir: string): void {
  const pkg = readJson(join(dir, 'package.json'));
  const shipped: PackageJson = {
    name: pkg.name,
    version: pkg.version ?? '0.0.0',
    private: true,
    type: pkg.type ?? 'module',
    ...(pkg.exports ? { exports: distExports(pkg.exports) } : {}),
  };
  replaceFile(join(dir, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
  const webSources = [
    'web/src',
    'web/build.ts',
    'web/index.html',
    'web/vite.config.ts',
    'web/tsconfig.json',
    'web/README.md',
  ];
  for (const dev of ['src', 'test', 'scripts', 'tsconfig.json', 'node_modules/.bin', ...webSources]) {
    rmSync(join(dir, dev), { recursive: true, force: true });
  }
  if (!existsSync(join(dir, 'dist'))) throw new Error(`${pkg.name}: no dist/ in the deployed copy`);
}

/** Every workspace package inside a deploy tree (they are copies: pnpm's injected workspace packages). */
function deployedWorkspacePackages(out: string): string[] {
  const store = join(out, 'node_modules', '.pnpm');
  if (!existsSync(store)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(store)) {
    if (!entry.startsWith('@tocsin+')) continue;
    const scope = join(store, entry, 'node_modules', '@tocsin');
    for (const name of readdirSync(scope, { withFileTypes: true })) {
      if (name.isDirectory() && !name.isSymbolicLink()) found.push(join(scope, name.name));
    }
  }
  return found;
}

/**
 * The production tree of one service in `out`: `pnpm deploy --prod` from the lockfile (workspace packages
 * injected as copies, offline: the store already has everything after `pnpm install`), then every workspace
 * package switched to its dist/. Start it with `node dist/main.js`.
 */
export function deployService(service: string, out: string, root = repoRoot): void {
  const name = readJson(join(root, 'services', service, 'package.json')).name;
  rmSync(out, { recursive: true, force: true });
  execFileSync(
    'pnpm',
    ['--filter', name, '--config.inject-workspace-packages=true', 'deploy', '--prod', '--offline', out],
    { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const workspace = realpathSync(root);
  for (const dir of [out, ...deployedWorkspacePackages(out)]) {
    if (realpathSync(dir).startsWith(`${workspace}/`))
      throw new Error(`${dir} links into the workspace; expected a copy`);
    shipPackage(dir);
  }
  rmSync(join(out, 'pnpm-lock.yaml'), { force: true });
  if (!existsSync(join(out, 'dist', 'main.js'))) throw new Error(`${service}: no dist/main.js`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { service: { type: 'string' }, out: { type: 'string' } },
  });
  await buildAll();
  if (values.service) {
    if (!values.out) throw new Error('--service needs --out DIR');
    deployService(values.service, resolve(values.out));
    console.log(`${values.service}: production tree in ${values.out} (node dist/main.js)`);
  } else {
    console.log(`built dist/ in ${workspacePackages().length} packages`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((err: unknown) => {
    console.error(`build: ${(err as Error).message}`);
    process.exit(1);
  });
}
