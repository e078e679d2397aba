import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '@tocsin/runtime';

const root = join(import.meta.dirname, '..', '..');

/**
 * Metrics that another branch adds in packages/bus and packages/runtime (consumer health). The rules and the
 * dashboard use them already; once that work is merged they are found in the sources and this list can go.
 */
const COMING: string[] = ['tocsin_consumer_oldest_pending_age_seconds', 'tocsin_consumer_stuck'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/**
 * Every metric name tocsin exposes: the runtime's own (createMetrics, default process metrics included) and each
 * `name: 'tocsin_…'` a package or service registers beside them.
 */
export function knownMetricNames(): Set<string> {
  const names = new Set<string>(
    createMetrics('probe')
      .registry.getMetricsAsArray()
      .map((m) => m.name),
  );
  for (const top of ['packages', 'services'])
    for (const pkg of readdirSync(join(root, top))) {
      let files: string[];
      try {
        files = sourceFiles(join(root, top, pkg, 'src'));
      } catch {
        continue;
      }
      for (const f of files)
        for (const m of readFileSync(f, 'utf8').matchAll(/name:\s*'(tocsin_[a-z0-9_]+)'/g)) names.add(m[1]!);
    }
  for (const n of COMING) names.add(n);
  return names;
}

/** The tocsin_ metric names a PromQL expression reads (histogram series map to their metric). */
export function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\btocsin_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}
