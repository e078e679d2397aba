import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CONFIG_SECTIONS, ConfigError, didYouMean, loadConfig } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'tocsin-config-'));

function issuesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('strict configuration', () => {
  it('refuses an unknown top-level key, suggesting the section it is a typo of', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: {}, file: file('webhok.yaml', 'webhok:\n  console: true\n') }),
    );
    expect(issues).toEqual(['webhok: unknown key; did you mean "webhook"?']);
  });

  it("accepts every service's section at the top level (the file is shared), whichever service reads it", () => {
    const all = Object.fromEntries(CONFIG_SECTIONS.map((s) => [s, {}]));
    expect(() => loadConfig({ env: {}, defaults: all })).not.toThrow();
    expect(CONFIG_SECTIONS).toEqual([
      'alerter',
      'console',
      'cosmos_ibc',
      'discord',
      'harmony_signers',
      'ics_ccv',
      'slack',
      'subspace_blocks',
      'telegram',
      'webhook',
    ]);
  });

  it('refuses unknown keys in every common section, one line per key', () => {
    const issues = issuesOf(() =>
      loadConfig({
        env: {},
        defaults: {
          nats: { urls: 'nats://x:4222' },
          database: { pool_sise: 3 },
          http: { prot: 9000 },
          log: { levle: 'info' },
          display: { icon: 'x' },
        },
      }),
    );
    expect(issues.sort()).toEqual([
      'database.pool_sise: unknown key; did you mean "pool_size"?',
      'display.icon: unknown key (known: name, icon_url)',
      'http.prot: unknown key; did you mean "port"?',
      'log.levle: unknown key; did you mean "level"?',
      'nats.urls: unknown key; did you mean "url"?',
    ]);
  });

  it("refuses unknown keys in the service's own section at any depth", () => {
    const schema = z.strictObject({
      targets: z.array(z.strictObject({ match: z.strictObject({ severity: z.string() }) })),
    });
    const issues = issuesOf(() =>
      loadConfig({
        env: {},
        defaults: { echo: { targets: [{ match: { severty: 'critical' } }] } },
        section: { name: 'echo', schema },
      }),
    );
    expect(issues).toEqual([
      'echo.targets.0.match.severity: required',
      'echo.targets.0.match.severty: unknown key; did you mean "severity"?',
    ]);
  });

  it('refuses zero or negative intervals', () => {
    const issues = issuesOf(() =>
      loadConfig({ env: {}, defaults: { heartbeat_interval: 0, nats: { retention: '0s' } } }),
    );
    expect(issues.sort()).toEqual([
      'heartbeat_interval: must be more than 0 (e.g. 30s, 10m)',
      'nats.retention: must be more than 0 (e.g. 30s, 10m)',
    ]);
    expect(issuesOf(() => loadConfig({ env: {}, defaults: { heartbeat_interval: -5 } }))).toEqual([
      'heartbeat_interval: must be a non-negative number of seconds',
    ]);
    // Past a Node timer's limit the timer fires every millisecond instead.
    expect(issuesOf(() => loadConfig({ env: {}, defaults: { heartbeat_interval: '30d' } }))).toEqual([
      'heartbeat_interval: must be at most 24d',
    ]);
  });

  it('names the environment variable a bad value came from', () => {
    const issues = issuesOf(() =>
      loadConfig({
        env: { TOCSIN__NATS__REPLICAS: 'three', TOCSIN_HTTP_PORT: 'http', TOCSIN__WEBHOK__CONSOLE: 'true' },
      }),
    );
    expect(issues.sort()).toEqual([
      'http.port: Invalid input: expected number, received string (from TOCSIN_HTTP_PORT)',
      'nats.replicas: Invalid input: expected number, received string (from TOCSIN__NATS__REPLICAS)',
      'webhok: unknown key; did you mean "webhook"? (from TOCSIN__WEBHOK__CONSOLE)',
    ]);
    // A value that is not YAML is taken as a string, not a crash.
    expect(issuesOf(() => loadConfig({ env: { TOCSIN__NATS__REPLICAS: '[unclosed' } }))).toEqual([
      'nats.replicas: Invalid input: expected number, received string (from TOCSIN__NATS__REPLICAS)',
    ]);
  });

  it('says a file problem in one line: missing, YAML syntax (file:line:col), not a mapping', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadConfig({ env: {}, file: missing })).toThrow(`cannot read ${missing}: no such file`);
    const broken = file('broken.yaml', 'nats:\n  url: nats://x:4222\n   replicas: 3\n');
    let err: unknown;
    try {
      loadConfig({ env: {}, file: broken });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(new RegExp(`^${broken}:2:8: not valid YAML: [^\\n]+$`));
    const dup = file('dup.yaml', 'instance: a\ninstance: b\n');
    expect(() => loadConfig({ env: {}, file: dup })).toThrow(
      `${dup}:2:1: not valid YAML: Map keys must be unique`,
    );
    // An unknown tag is refused (yaml would only warn on stderr and keep the bare string).
    const tagged = file('tagged.yaml', 'nats:\n  url: !foo nats://x:4222\n');
    expect(() => loadConfig({ env: {}, file: tagged })).toThrow(
      `${tagged}:2:8: not valid YAML: Unresolved tag: !foo`,
    );
    const list = file('list.yaml', '- a\n');
    expect(() => loadConfig({ env: {}, file: list })).toThrow(
      `${list}: the top level must be a mapping of settings (key: value), not a list`,
    );
  });

  it('suggests only close keys', () => {
    expect(didYouMean('severty', ['source', 'severity', 'chain_id'])).toBe('severity');
    expect(didYouMean('brust', ['burst', 'per'])).toBe('burst');
    expect(didYouMean('Scan-Interval', ['scan_interval'])).toBe('scan_interval');
    expect(didYouMean('colour', ['chain_id', 'rpc', 'denom'])).toBeUndefined();
  });
});
