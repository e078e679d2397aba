import { z } from 'zod';

/** The scenario file format (YAML/JSON, snake_case) as zod schemas; `scenario.ts` turns it into domain types. */

export const CLIENT_TYPES = ['07-tendermint', '08-wasm', '06-solomachine'] as const;
export const CONNECTION_STATES = [
  'STATE_OPEN',
  'STATE_INIT',
  'STATE_TRYOPEN',
  'STATE_UNINITIALIZED_UNSPECIFIED',
] as const;

const seconds = z.number().nonnegative();
const amount = z.union([z.string().regex(/^\d+$/), z.number().int().min(0)], {
  error: 'expected a non-negative integer (number or decimal string)',
});
const range = z
  .strictObject({ min: seconds, max: seconds })
  .refine((r) => r.min <= r.max, 'min must be <= max');
const secondsOrRange = (what: z.ZodNumber) =>
  z.union([what, range], { error: 'expected seconds or { min, max } in seconds' });
const identifier = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, ".", "_" or "-"');

export const faultSchema = z.strictObject({
  latency_ms: z.number().int().min(0).optional(),
  kind: z.enum(['none', 'timeout', 'http_500', 'garbage', 'down']).optional(),
});

const clientSchema = z.strictObject({
  client_id: identifier.optional(),
  type: z.enum(CLIENT_TYPES).default('07-tendermint'),
  counterparty_chain_id: identifier,
  trusting_period_s: z.number().positive().default(1_209_600),
  unbonding_period_s: z.number().positive().optional(),
  max_clock_drift_s: z.number().nonnegative().default(10),
  last_update_ago_s: seconds.default(0),
  latest_height: z.number().int().positive().optional(),
  frozen: z.boolean().default(false),
});

const connectionSchema = z.strictObject({
  connection_id: identifier.optional(),
  client_id: identifier,
  state: z.enum(CONNECTION_STATES).default('STATE_OPEN'),
  counterparty: z
    .strictObject({ client_id: identifier.optional(), connection_id: identifier.optional() })
    .default({}),
});

const walletSchema = z.strictObject({
  address: z.string().min(1),
  denom: z.string().min(1).optional(),
  balance: amount,
  spend_per_hour: amount.default(0),
});

const generatorSchema = z.strictObject({
  count: z.number().int().min(1).max(100_000),
  seed: z.number().int().default(1),
  type: z.enum(CLIENT_TYPES).default('07-tendermint'),
  counterparty_chain_ids: z.array(identifier).min(1).optional(),
  trusting_period_s: secondsOrRange(z.number().positive()).default(1_209_600),
  last_update_ago_s: secondsOrRange(seconds).default(0),
  frozen_ratio: z.number().min(0).max(1).default(0),
  connection_state: z.enum(CONNECTION_STATES).default('STATE_OPEN'),
});

export const chainSchema = z.strictObject({
  chain_id: identifier,
  block_time_s: z.number().positive().default(6),
  start_height: z.number().int().positive().default(1_000_000),
  denom: z.string().min(1).default('stake'),
  display_denom: z.string().min(1).optional(),
  exponent: z.number().int().min(0).max(18).default(6),
  endpoints: z
    .union(
      [z.number().int().min(1).max(16), z.array(z.strictObject({ fault: faultSchema.optional() })).min(1)],
      { error: 'expected a count (1-16) or a list of { fault }' },
    )
    .default(1),
  fault: faultSchema.optional(),
  clients: z.array(clientSchema).default([]),
  generate_clients: generatorSchema.optional(),
  connections: z.array(connectionSchema).default([]),
  wallets: z.array(walletSchema).default([]),
});

const onChain = { chain: identifier };
export const actionSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('update_client'),
    ...onChain,
    client_id: identifier,
    height: z.number().int().positive().optional(),
  }),
  z.strictObject({ action: z.literal('freeze_client'), ...onChain, client_id: identifier }),
  z.strictObject({
    action: z.literal('set_balance'),
    ...onChain,
    address: z.string().min(1),
    denom: z.string().min(1).optional(),
    amount,
  }),
  z.strictObject({
    action: z.literal('set_spend_rate'),
    ...onChain,
    address: z.string().min(1),
    denom: z.string().min(1).optional(),
    spend_per_hour: amount,
  }),
  z.strictObject({
    action: z.literal('set_fault'),
    ...onChain,
    endpoint: z.number().int().min(0).optional(),
    fault: faultSchema.nullable(),
  }),
  // The chain stops producing blocks (height and block time stay), then goes on from where it stopped.
  z.strictObject({ action: z.literal('stall_chain'), ...onChain }),
  z.strictObject({ action: z.literal('resume_chain'), ...onChain }),
  z.strictObject({
    action: z.literal('emit_tx'),
    ...onChain,
    events: z.array(
      z.strictObject({ type: z.string().min(1), attributes: z.record(z.string(), z.string()).default({}) }),
    ),
  }),
]);

export const scenarioSchema = z.strictObject({
  chains: z.array(chainSchema).min(1),
  timeline: z.array(z.strictObject({ at_s: seconds, actions: z.array(actionSchema).min(1) })).default([]),
});

/** The scenario as written in a file (snake_case); what `parseScenario` accepts. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

export type ChainInput = z.output<typeof chainSchema>;
export type ActionInput = z.output<typeof actionSchema>;
export type FaultInput = z.output<typeof faultSchema>;
