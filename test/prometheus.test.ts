import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { knownMetricNames, metricsIn } from './support/metricNames.ts';

// promtool comes with Debian's prometheus package (.ci/run installs it).
const dir = join(import.meta.dirname, '..', 'deploy', 'prometheus');
const promtool = (...args: string[]) => {
  try {
    return execFileSync('promtool', args, { cwd: dir, encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
};

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
}
const groups = (parse(readFileSync(join(dir, 'tocsin.rules.yml'), 'utf8')) as { groups: { rules: Rule[] }[] })
  .groups;
const rules = groups.flatMap((g) => g.rules);

describe('deploy/prometheus', () => {
  it('promtool check rules: the rules file is valid', () => {
    expect(promtool('check', 'rules', 'tocsin.rules.yml')).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('promtool test rules: lag, stuck consumer, delivery failures, endpoint errors and silent services fire as written', () => {
    expect(promtool('test', 'rules', 'tocsin.rules.test.yml')).toContain('SUCCESS');
  });

  it('promtool check config: the example scrape configuration loads the rules', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toContain('SUCCESS: 1 rule files found');
  });

  it('covers what the issue asks for, each rule with a severity', () => {
    const names = rules.map((r) => r.alert);
    for (const a of [
      'TocsinConsumerLagGrowing',
      'TocsinConsumerStuck',
      'TocsinDeliveryFailures',
      'TocsinIngestorEndpointErrors',
      'TocsinServiceSilent',
      'TocsinTargetDown',
    ])
      expect(names).toContain(a);
    for (const r of rules) expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
  });

  it('reads only metrics that tocsin exposes', () => {
    const known = knownMetricNames();
    for (const r of rules) for (const m of metricsIn(r.expr)) expect(known, `${r.alert}: ${m}`).toContain(m);
  });
});
