import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../deploy/build.ts';

/**
 * The errors convention (ARCHITECTURE.md, "Errors"): every error class of packages/ and services/ has a stable
 * `code` (snake_case, for logs, metrics and callers) and, when exported, an `isX()` guard next to it, so callers
 * test a guard (or the code) instead of importing the class.
 */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const roots = ['packages', 'services'].flatMap((top) =>
  readdirSync(join(repoRoot, top))
    .map((p) => join(repoRoot, top, p, 'src'))
    .filter((src) => statSync(src, { throwIfNoEntry: false })?.isDirectory()),
);
const CLASS =
  /^(export )?class (\w+) extends (\w*Error|DeliveryError|PermanentError)\b[^{]*\{([\s\S]*?)^\}/gm;

const classes = roots.flatMap(sources).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(CLASS)].map((m) => ({
    where: `${relative(repoRoot, file)}: ${m[2]}`,
    name: m[2]!,
    exported: Boolean(m[1]),
    body: m[4]!,
    text,
  }));
});

it('finds the error classes (the scan itself works)', () => {
  expect(classes.map((c) => c.name)).toEqual(
    expect.arrayContaining(['ConfigError', 'RpcError', 'DeliveryError', 'PermanentError', 'QueryRejected']),
  );
});

it('every error class has a stable string code', () => {
  const missing = classes.filter(
    (c) => !/readonly code(: string)? = '[a-z_]+'|readonly code: string[,)]/.test(c.body),
  );
  expect(missing.map((c) => c.where)).toEqual([]);
});

it('every exported error class has an isX() guard beside it', () => {
  const guard = (c: (typeof classes)[number]) =>
    new RegExp(`export function is(${c.name}|${c.name.replace(/Error$/, '')})\\(err: unknown`).test(c.text);
  expect(classes.filter((c) => c.exported && !guard(c)).map((c) => c.where)).toEqual([]);
});
