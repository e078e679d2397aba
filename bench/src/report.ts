/**
 * Every benchmark reports its figures next to a baseline measured in the same run (these machines are shared and
 * noisy, so only the ratio is comparable between runs), with the absolute numbers beside it.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Same quantity for the baseline, measured in this run. */
  baseline?: { name: string; value: number };
  /** value / baseline.value (or the inverse where lower is better; say so in `note`). */
  ratio?: number;
  /** Target from the issue, e.g. ">= 0.5" or "< 10 s". */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchResult {
  name: string;
  issue: number;
  figures: Figure[];
  environment?: Record<string, string | number>;
  ran_at: string;
}

export interface Benchmark {
  name: string;
  issue: number;
  /** Runs the benchmark; may start its own servers; must clean up. */
  run(): Promise<Omit<BenchResult, 'name' | 'issue' | 'ran_at'>>;
}

export function percentile(sortedAsc: number[], p: number): number {
  if (sortedAsc.length === 0) return Number.NaN;
  const i = Math.min(sortedAsc.length - 1, Math.max(0, Math.ceil((p / 100) * sortedAsc.length) - 1));
  return sortedAsc[i]!;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function toMarkdown(results: BenchResult[]): string {
  const lines = [
    '| benchmark | figure | value | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    for (const f of r.figures) {
      lines.push(
        `| ${r.name} (#${r.issue}) | ${f.name} | ${round(f.value)} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${round(f.baseline.value)} ${f.unit}` : '—'} | ${f.ratio !== undefined ? round(f.ratio, 3) : '—'} | ${f.target ?? '—'} | ${f.met === undefined ? '—' : f.met ? 'yes' : 'no'} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
