import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../deploy/build.ts';

// The codebase's shape, checked on every run (ARCHITECTURE.md): a service never imports another service (tests
// that need two services live here, in test/), and no source file grows past 400 lines.

const MAX_LINES = 400;
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage']);
/** A generated file says so in its first lines; it is exempt from the line limit. */
const GENERATED = /@generated\b/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

const servicesDir = join(repoRoot, 'services');
const services = readdirSync(servicesDir).filter((d) => existsSync(join(servicesDir, d, 'package.json')));
const packageNameOf = new Map(
  services.map((s) => [
    JSON.parse(readFileSync(join(servicesDir, s, 'package.json'), 'utf8')).name as string,
    s,
  ]),
);

/** Every module specifier a file names: static and dynamic imports, re-exports, `require`, `new URL(…)`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) found.push(m[1]!);
  return found;
}

/** The service a specifier in `file` reaches, if any. */
function serviceReached(file: string, spec: string): string | undefined {
  if (spec.startsWith('.')) {
    const target = relative(servicesDir, resolve(dirname(file), spec));
    if (target.startsWith('..')) return undefined;
    return target.split(sep)[0];
  }
  const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
  return packageNameOf.get(name);
}

describe('a service never imports another service', () => {
  it.each(services)('services/%s imports no other service', (service) => {
    const offences: string[] = [];
    for (const file of walk(join(servicesDir, service))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const other = serviceReached(file, spec);
        if (other && other !== service)
          offences.push(`${relative(repoRoot, file)} imports '${spec}' (${other})`);
      }
    }
    expect(offences, 'move a test that needs two services to test/').toEqual([]);
  });

  it.each(services)('services/%s/package.json depends on no other service', (service) => {
    const pkg = JSON.parse(readFileSync(join(servicesDir, service, 'package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies });
    expect(deps.filter((d) => packageNameOf.has(d) && packageNameOf.get(d) !== service)).toEqual([]);
  });

  it('sees a cross-service import when there is one', () => {
    const file = join(servicesDir, 'a', 'test', 'x.test.ts');
    packageNameOf.set('@tocsin/b-for-shape-test', 'b');
    try {
      expect(serviceReached(file, '../../b/src/index.ts')).toBe('b');
      expect(serviceReached(file, '@tocsin/b-for-shape-test')).toBe('b');
      expect(serviceReached(file, '@tocsin/b-for-shape-test/sub')).toBe('b');
      expect(serviceReached(file, '../src/index.ts')).toBe('a');
      expect(serviceReached(file, '@tocsin/runtime')).toBeUndefined();
      expect(serviceReached(file, '../../../packages/commands/test/domainsRpc.ts')).toBeUndefined();
    } finally {
      packageNameOf.delete('@tocsin/b-for-shape-test');
    }
    expect(
      specifiers(
        "import { a } from '@x/a';\nimport type {\n  B,\n} from '../b.ts';\nexport * from './c.ts';\nawait import('d');\nimport 'e';",
      ),
    ).toEqual(['@x/a', '../b.ts', './c.ts', 'e', 'd']);
  });
});

it(`no source file is over ${MAX_LINES} lines (generated files excepted)`, () => {
  const roots = ['packages', 'services', 'tools', 'test', 'bench', 'deploy', 'examples']
    .map((d) => join(repoRoot, d))
    .filter(existsSync);
  const long: string[] = [];
  for (const file of roots.flatMap((r) => walk(r))) {
    const text = readFileSync(file, 'utf8');
    if (GENERATED.test(text.slice(0, 500))) continue;
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) long.push(`${relative(repoRoot, file)}: ${lines} lines`);
  }
  expect(long, 'split a long file by job, one stage per file').toEqual([]);
});
