import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_SECTIONS, ConfigError, commonConfig, loadConfig } from '@tocsin/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { alerterConfig } from '../services/alerter/src/config.ts';
import { consoleConfig } from '../services/console/src/config.ts';
import { cosmosIbcConfig } from '../services/cosmos-ibc/src/config.ts';
import { harmonySignersConfig } from '../services/harmony-signers/src/config.ts';
import { icsCcvConfig } from '../services/ics-ccv/src/config.ts';
import { discordConfig } from '../services/notifier-discord/src/config.ts';
import { slackConfig } from '../services/notifier-slack/src/config.ts';
import { telegramConfig } from '../services/notifier-telegram/src/config.ts';
import { webhookConfig } from '../services/notifier-webhook/src/index.ts';
import { subspaceBlocksConfig } from '../services/subspace-blocks/src/config.ts';

// Property tests of the configuration as every service reads it: whatever the file or the environment holds (valid
// settings, typos, wrong types, broken YAML), loading either succeeds or throws a ConfigError whose every line
// names what is wrong. Nothing else may escape (a TypeError would be a crash with a stack trace).
const RUNS = 1000;
const SECTIONS: Record<(typeof CONFIG_SECTIONS)[number], z.ZodType> = {
  alerter: alerterConfig,
  console: consoleConfig,
  cosmos_ibc: cosmosIbcConfig,
  discord: discordConfig,
  harmony_signers: harmonySignersConfig,
  ics_ccv: icsCcvConfig,
  slack: slackConfig,
  telegram: telegramConfig,
  subspace_blocks: subspaceBlocksConfig,
  webhook: webhookConfig,
};

/** Every key name any of the schemas knows, at any depth: the generator builds documents from them. */
function keysOf(schema: unknown, into: Set<string>, seen = new Set<unknown>()): Set<string> {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return into;
  seen.add(schema);
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (!def) return into;
  if (def.shape) for (const [k, v] of Object.entries(def.shape)) keysOf(v, into.add(k), seen);
  for (const k of ['innerType', 'element', 'in', 'out', 'valueType', 'keyType']) keysOf(def[k], into, seen);
  for (const o of (def.options as unknown[]) ?? []) keysOf(o, into, seen);
  return into;
}
const KEYS = [...Object.values(SECTIONS).reduce((set, s) => keysOf(s, set), keysOf(commonConfig, new Set()))];
const TOP = [...Object.keys(commonConfig.shape), ...CONFIG_SECTIONS];

const leaf = fc.oneof(
  fc.integer({ min: -5, max: 100_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    '0s',
    '-5s',
    '30s',
    '10m',
    '30d',
    '1e400',
    'soon',
    'https://example.org/hook',
    'nats://h:4222',
    'info',
    'warning',
    'critical',
    '<@123456>',
    '123456789012',
    'C0123ABCD',
    'U0123ABCD',
    '{value}',
    '/run/secrets/x',
  ),
);
// A key: usually one the schemas know (so documents reach nested objects), sometimes a typo or garbage.
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KEYS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...KEYS).map((k) => `${k.slice(0, -1)}${k.at(-1) === 'e' ? 'a' : 'e'}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
}));
const document = fc.dictionary(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...TOP) }, { weight: 1, arbitrary: key }),
  value,
  { maxKeys: 6 },
);

/** `path: reason`, the path dotted, a key that is not a plain word quoted (JSON). */
const SEGMENT = String.raw`(?:[\w-]+|"(?:[^"\\]|\\.)*")`;
const PATH_THEN_REASON = new RegExp(String.raw`^(\(root\)|${SEGMENT}(?:\.${SEGMENT})*): \S`);

/** Loads, and checks the only failure is a ConfigError whose lines each name a field (or the file). */
function check(load: () => unknown, file?: string): void {
  try {
    load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const line of err.issues) {
      if (file && line === err.message) expect(line).toContain(file);
      else expect(line).toMatch(PATH_THEN_REASON);
    }
    expect(err.message).not.toMatch(/\n\s+at /);
  }
}

describe('config fuzzing (fast-check)', () => {
  for (const [name, schema] of Object.entries(SECTIONS)) {
    it(`${name}: any document loads or is refused field by field`, () => {
      fc.assert(
        fc.property(document, (doc) => {
          check(() =>
            loadConfig({ env: {}, defaults: doc as Record<string, unknown>, section: { name, schema } }),
          );
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('a YAML file, valid or mangled, loads or is refused in lines that name the file or a field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tocsin-fuzz-'));
    const file = join(dir, 'tocsin.yaml');
    const mangle = fc.array(
      fc.record({
        at: fc.nat(),
        cut: fc.nat({ max: 3 }),
        put: fc.constantFrom('', ':', ' ', '\n', '- ', '[', '"', '&a', '*a', '\t', '{'),
      }),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(document, mangle, fc.constantFrom(...CONFIG_SECTIONS), (doc, edits, name) => {
        let text = stringify(doc);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.put + text.slice(at + e.cut);
        }
        writeFileSync(file, text);
        check(() => loadConfig({ env: {}, file, section: { name, schema: SECTIONS[name] } }), file);
      }),
      { numRuns: RUNS },
    );
  });

  it('TOCSIN__ variables: every bad one is named', () => {
    const variable = fc
      .array(fc.constantFrom(...TOP, ...KEYS), { minLength: 1, maxLength: 3 })
      .map((path) => `TOCSIN__${path.join('__').toUpperCase()}`);
    const env = fc.dictionary(variable, fc.oneof(fc.string({ maxLength: 10 }), leaf.map(String)), {
      maxKeys: 4,
    });
    fc.assert(
      fc.property(env, (vars) => {
        try {
          loadConfig({ env: vars });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          for (const line of err.issues) expect(line).toMatch(/^[^\s:][^:]*: .*\(from TOCSIN__\w+\)$/);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
