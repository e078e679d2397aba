import { readFile } from 'node:fs/promises';
import { duration } from '@tocsin/runtime';
import { parse } from 'yaml';
import { z } from 'zod';

const blsKey = z.string().regex(/^[0-9a-f]{96}$/, 'a BLS public key: 96 lowercase hex characters, no 0x');
/** How a node answers: `ok`, `down` (the connection is closed without an answer), `error` (a JSON-RPC error). */
export const answerKind = z.enum(['ok', 'down', 'error']);
export type AnswerKind = z.infer<typeof answerKind>;

/** What a scenario (or a test) may change on a node over time. */
export const nodePatch = z.strictObject({
  blskeys: z.array(blsKey).optional(),
  mode: z.string().min(1).optional().describe('consensus.mode: Normal, ViewChanging, Syncing, Listening'),
  is_backup: z.boolean().optional(),
  answer: answerKind.optional(),
});
export type NodePatch = z.infer<typeof nodePatch>;

const nodeSpec = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a URL path segment: lowercase letters, digits, "_" and "-"'),
  shard_id: z.number().int().nonnegative().default(0),
  blskeys: z.array(blsKey).default([]),
  mode: z.string().min(1).default('Normal'),
  is_backup: z.boolean().default(false),
  answer: answerKind.default('ok'),
  peerid: z.string().optional(),
  role: z.enum(['Validator', 'ExplorerNode', 'Unknown']).default('Validator'),
});
export type NodeSpec = z.output<typeof nodeSpec>;

export const scenarioSchema = z.strictObject({
  network: z
    .enum(['mainnet', 'testnet', 'pangaea', 'partner', 'stressnet', 'devnet', 'localnet'])
    .default('mainnet'),
  start_block: z.number().int().nonnegative().default(71_234_567),
  /** Harmony mainnet makes a block every 2 s. */
  block_time: duration.default(2_000),
  nodes: z.array(nodeSpec).min(1),
  /** Changes applied when `at` (from the simulator's start) has passed, in order. */
  timeline: z.array(z.strictObject({ at: duration, node: z.string(), set: nodePatch })).default([]),
});
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`${source}: invalid scenario\n${issues.map((i) => `  ${i}`).join('\n')}`);
  }
}

/** Marks a parsed scenario: parsing again would read its durations (ms) as seconds. */
const PARSED = Symbol('sim-harmony parsed scenario');

export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  if (input && typeof input === 'object' && PARSED in input) return input as unknown as Scenario;
  const r = scenarioSchema.safeParse(input);
  if (!r.success)
    throw new ScenarioError(
      source,
      r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  const names = new Set<string>();
  const issues: string[] = [];
  r.data.nodes.forEach((n, i) => {
    if (names.has(n.name)) issues.push(`nodes.${i}.name: "${n.name}" is used twice`);
    names.add(n.name);
  });
  r.data.timeline.forEach((t, i) => {
    if (!names.has(t.node)) issues.push(`timeline.${i}.node: no node named "${t.node}"`);
  });
  if (issues.length) throw new ScenarioError(source, issues);
  Object.defineProperty(r.data, PARSED, { value: true });
  return r.data;
}

/** Reads a YAML (or JSON) scenario file. */
export async function loadScenario(path: string): Promise<Scenario> {
  return parseScenario(parse(await readFile(path, 'utf8')), path);
}
