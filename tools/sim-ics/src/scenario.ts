import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * An ICS provider scenario: validators, consumers at start, and a timeline of provider transactions and faults.
 * Times are seconds after the simulator starts; `spawn_in_s` is relative to the step (or the start) that sets it.
 */
const moniker = z.string().min(1).max(64);
const consumerKey = z.string().min(1).describe('base64 of a 32-byte ed25519 public key');
const fault = z.strictObject({
  kind: z.enum(['none', 'timeout', 'http_500', 'garbage', 'down']).optional(),
  latency_ms: z.number().int().min(0).optional(),
});

const consumerAtStart = z.strictObject({
  chain_id: z.string().min(1),
  name: z.string().optional(),
  owner: z.string().default('cosmos1simowner'),
  phase: z.enum(['REGISTERED', 'INITIALIZED', 'LAUNCHED', 'STOPPED']).default('REGISTERED'),
  spawn_in_s: z.number().optional(),
  top_n: z.number().int().min(0).max(100).default(0),
  opted_in: z.array(moniker).default([]),
  keys: z.record(moniker, consumerKey).default({}),
});

const id = z.union([z.string(), z.number()]).transform(String);
const action = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('create_consumer'),
    chain_id: z.string().min(1),
    name: z.string().optional(),
    owner: z.string().default('cosmos1simowner'),
    spawn_in_s: z
      .number()
      .optional()
      .describe('given: INITIALIZED with this spawn time; omitted: REGISTERED'),
    top_n: z.number().int().min(0).max(100).default(0),
  }),
  z.strictObject({
    action: z.literal('update_consumer'),
    consumer_id: id,
    name: z.string().optional(),
    spawn_in_s: z.number().optional(),
    top_n: z.number().int().min(0).max(100).optional(),
    owner: z.string().optional(),
  }),
  z.strictObject({ action: z.literal('remove_consumer'), consumer_id: id }),
  z.strictObject({
    action: z.literal('opt_in'),
    consumer_id: id,
    validator: moniker,
    consumer_key: consumerKey.optional(),
  }),
  z.strictObject({ action: z.literal('opt_out'), consumer_id: id, validator: moniker }),
  z.strictObject({
    action: z.literal('assign_consumer_key'),
    consumer_id: id,
    validator: moniker,
    consumer_key: consumerKey,
  }),
  z.strictObject({ action: z.literal('set_tokens'), validator: moniker, tokens: z.string().regex(/^\d+$/) }),
  z.strictObject({ action: z.literal('set_fault'), fault: fault.nullable() }),
  z.strictObject({ action: z.literal('drop_websockets') }),
  z.strictObject({ action: z.literal('halt_consumer'), consumer_id: id }),
  z
    .strictObject({ action: z.literal('set_relayer'), running: z.boolean() })
    .describe('false: VSC packets are not relayed, the consumers keep their validator sets (stale)'),
]);

export const scenarioSchema = z.strictObject({
  chain_id: z.string().min(1).default('provider-1'),
  provider_module: z.boolean().default(true).describe('false: a chain without x/provider (ICS removed)'),
  block_time_s: z.number().positive().default(5),
  start_height: z.number().int().min(1).default(1000),
  removal_delay_s: z
    .number()
    .min(0)
    .default(120)
    .describe('STOPPED → DELETED this long after MsgRemoveConsumer'),
  ccv_channel_delay_s: z
    .number()
    .min(0)
    .nullable()
    .default(30)
    .describe(
      "a launched consumer's CCV channel (port consumer) is OPEN this long after launch; null: never",
    ),
  validators: z
    .array(
      z.strictObject({
        moniker,
        tokens: z.string().regex(/^\d+$/),
        status: z.enum(['bonded', 'unbonding', 'unbonded']).default('bonded'),
        jailed: z.boolean().default(false),
      }),
    )
    .default([]),
  consumers: z.array(consumerAtStart).default([]),
  timeline: z.array(z.strictObject({ at_s: z.number().min(0), actions: z.array(action).min(1) })).default([]),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type TimelineAction = Scenario['timeline'][number]['actions'][number];
export type ConsumerAtStart = Scenario['consumers'][number];

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid ICS scenario ${source}:\n  ${issues.join('\n  ')}`);
  }
}

export function parseScenario(input: unknown, source = '(inline)'): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (!r.success)
    throw new ScenarioError(
      source,
      r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  const s = r.data;
  const monikers = new Set(s.validators.map((v) => v.moniker));
  const issues: string[] = [];
  const known = (m: string, where: string) => {
    if (!monikers.has(m)) issues.push(`${where}: unknown validator "${m}"`);
  };
  s.consumers.forEach((c, i) => {
    for (const m of c.opted_in) known(m, `consumers.${i}.opted_in`);
    for (const m of Object.keys(c.keys)) known(m, `consumers.${i}.keys`);
  });
  s.timeline.forEach((step, i) => {
    step.actions.forEach((a, j) => {
      if ('validator' in a) known(a.validator, `timeline.${i}.actions.${j}.validator`);
    });
    if (i > 0 && step.at_s < s.timeline[i - 1]!.at_s)
      issues.push(`timeline.${i}.at_s: steps must be in time order`);
  });
  if (issues.length) throw new ScenarioError(source, issues);
  return s;
}

export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  return parseScenario(path.endsWith('.json') ? JSON.parse(text) : parseYaml(text), path);
}
