import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchResult } from './src/report.ts';
import { toMarkdown } from './src/report.ts';

// `pnpm bench` runs every bench/*.bench.ts; `pnpm bench bus` runs the ones whose name contains "bus".
const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
const resultsFile = join(here, 'results', 'results.json');
const previous: BenchResult[] = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : [];
const byName = new Map(previous.map((r) => [r.name, r]));

for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: Benchmark };
  const b = mod.default;
  console.log(`\n▶ ${b.name} (issue #${b.issue})`);
  const out = await b.run();
  const result: BenchResult = {
    name: b.name,
    issue: b.issue,
    ...out,
    environment: {
      node: process.version,
      cpus: cpus().length,
      mem_gb: Math.round(totalmem() / 2 ** 30),
      ...out.environment,
    },
    ran_at: new Date().toISOString(),
  };
  byName.set(b.name, result);
  console.log(toMarkdown([result]));
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
