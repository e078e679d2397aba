import { readFile } from 'node:fs/promises';
import { decodeAddress } from '@polkadot/util-crypto';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { AI3 } from './codec.ts';
import { type amountSchema, type ScenarioFile, scenarioSchema } from './scenarioSchema.ts';

export type { ActionInput as ScenarioAction, ScenarioInput } from './scenarioSchema.ts';

/** A validated scenario (snake_case as in the file, defaults applied, references checked). */
export type Scenario = ScenarioFile & { readonly __parsed: true };

export interface ScenarioIssue {
  path: string;
  message: string;
}

export class ScenarioError extends Error {
  constructor(
    readonly issues: ScenarioIssue[],
    source = 'scenario',
  ) {
    super(`invalid ${source}:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

/** Base units (shannons) of an amount: numbers are AI3 (decimals allowed), "<n> shannon" is base units. */
export function parseAmount(a: z.output<typeof amountSchema> | bigint): bigint {
  if (typeof a === 'bigint') return a;
  const s = String(a).trim();
  const m = /^(\d+)(?:\.(\d+))?\s*(AI3|ai3|shannons?)?$/.exec(s);
  if (!m) throw new Error(`bad amount ${s}`);
  if (m[3]?.startsWith('shannon')) {
    if (m[2]) throw new Error(`shannons are whole: ${s}`);
    return BigInt(m[1] as string);
  }
  const frac = (m[2] ?? '').slice(0, 18).padEnd(18, '0');
  return BigInt(m[1] as string) * AI3 + BigInt(frac);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

const parsed = new WeakSet<object>();

export function isParsedScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && parsed.has(value);
}

const ACCOUNT_FIELDS = ['from', 'to', 'source', 'dest', 'account'] as const;

/** Validates a scenario object (decoded from YAML/JSON). Throws `ScenarioError` naming every bad field. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input ?? {});
  if (!result.success) {
    throw new ScenarioError(
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      source,
    );
  }
  const s = result.data;
  const issues: ScenarioIssue[] = [];
  const accounts = new Set<string>();
  s.accounts.forEach((a, i) => {
    if (accounts.has(a.name))
      issues.push({ path: `accounts[${i}].name`, message: `duplicate account "${a.name}"` });
    accounts.add(a.name);
    if (a.address && a.uri) issues.push({ path: `accounts[${i}]`, message: 'give uri or address, not both' });
    if (a.address && !isAddress(a.address)) {
      issues.push({ path: `accounts[${i}].address`, message: 'not an SS58 address' });
    }
  });
  if (s.sudo && !accounts.has(s.sudo)) issues.push({ path: 'sudo', message: `unknown account "${s.sudo}"` });
  const nodes = new Set<string>();
  s.nodes.forEach((n, i) => {
    if (nodes.has(n.name)) issues.push({ path: `nodes[${i}].name`, message: `duplicate node "${n.name}"` });
    nodes.add(n.name);
  });
  s.timeline.forEach((step, i) => {
    step.actions.forEach((action, j) => {
      const at = `timeline[${i}].actions[${j}]`;
      const [kind, body] = Object.entries(action)[0] as [string, Record<string, unknown>];
      for (const f of ACCOUNT_FIELDS) {
        const v = body[f];
        if (typeof v === 'string' && !accounts.has(v) && !isAddress(v)) {
          issues.push({
            path: `${at}.${kind}.${f}`,
            message: `unknown account "${v}" (a scenario name or an SS58 address)`,
          });
        }
      }
      for (const n of [body.node, ...((body.nodes as string[] | undefined) ?? [])]) {
        if (typeof n === 'string' && !nodes.has(n)) {
          issues.push({ path: `${at}.${kind}.node`, message: `unknown node "${n}"` });
        }
      }
      if (
        (kind === 'sudo' && !body.from) ||
        kind === 'runtime_upgrade' ||
        (kind === 'force_transfer' && body.sudo)
      ) {
        if (!s.sudo)
          issues.push({ path: `${at}.${kind}`, message: 'needs a sudo account (top-level `sudo`)' });
      }
    });
  });
  if (issues.length) throw new ScenarioError(issues, source);
  parsed.add(s);
  return s as Scenario;
}

function isAddress(v: string): boolean {
  try {
    decodeAddress(v);
    return v.length > 40;
  } catch {
    return false;
  }
}

/** Reads and validates a YAML or JSON scenario file. */
export async function loadScenario(path: string): Promise<Scenario> {
  let data: unknown;
  try {
    data = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError([{ path: '', message: `cannot read: ${(err as Error).message}` }], path);
  }
  return parseScenario(data, path);
}
