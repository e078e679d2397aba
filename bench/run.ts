import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './src/report.ts';
import { toMarkdown } from './src/report.ts';

// `pnpm bench` runs every bench/*.bench.ts; `pnpm bench bus` runs the ones whose name contains "bus". Each runs in
// a fresh process, so one benchmark's heap and JIT state are not in the next one's figures (RSS above all).
const here = dirname(fileURLToPath(import.meta.url));
const CHILD = '--child';

if (process.argv[2] === CHILD) {
  // A child: run one benchmark file, write its result where the parent said.
  const [file, out] = process.argv.slice(3) as [string, string];
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
  const b = mod.default;
  console.log(`\n▶ ${b.name} (issue #${b.issue})`);
  const run = await b.run();
  const result: BenchResult = {
    name: b.name,
    issue: b.issue,
    ...run,
    environment: {
      node: process.version,
      cpus: cpus().length,
      mem_gb: Math.round(totalmem() / 2 ** 30),
      ...run.environment,
    },
    ran_at: new Date().toISOString(),
  };
  console.log(toMarkdown([result]));
  writeFileSync(out, JSON.stringify(result));
  process.exit(0);
}

const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
const resultsFile = join(here, 'results', 'results.json');
const previous: BenchResult[] = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : [];
const byName = new Map(previous.map((r) => [r.name, r]));
const tmp = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));

for (const f of files) {
  const out = join(tmp, `${f}.json`);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD, f, out],
    {
      stdio: 'inherit',
      env: process.env,
    },
  );
  if (child.status !== 0 || !existsSync(out)) {
    console.error(`${f} failed (exit ${child.status ?? child.signal}); its previous result is kept`);
    process.exitCode = 1;
    continue;
  }
  const result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
  byName.set(result.name, result);
}
const all = [...byName.values()].sort((a, b) => a.issue - b.issue || a.name.localeCompare(b.name));
writeFileSync(resultsFile, `${JSON.stringify(all, null, 2)}\n`);
writeFileSync(join(here, 'results', 'results.md'), toMarkdown(all));
// Keep the README's table the latest one.
const readme = join(here, '..', 'README.md');
const text = readFileSync(readme, 'utf8');
const a = text.indexOf('<!-- bench:start -->');
const b = text.indexOf('<!-- bench:end -->');
if (a >= 0 && b > a) {
  writeFileSync(readme, `${text.slice(0, a)}<!-- bench:start -->\n${toMarkdown(all)}${text.slice(b)}`);
}
console.log(`wrote ${resultsFile}, results.md and the README table`);
