import { z } from 'zod';

/**
 * The scenario file format (YAML or JSON, snake_case), validated strictly: unknown keys are errors.
 * Amounts: a number or numeric string is AI3 (decimals allowed: "0.5"); "<n> shannon" is base units (10^-18 AI3).
 */

const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
export const amountSchema = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\s*\d+(\.\d+)?\s*(AI3|ai3|shannon|shannons)?\s*$/, 'a number of AI3, or "<n> shannon"'),
]);
/** `branch@height`, `branch@tip`, `branch@tip-2`, a height on main, or a block hash. */
const blockRef = z.union([z.number().int().nonnegative(), z.string().min(1)]);
const account = z.string().min(1);
const nodeList = z.array(name).min(1);

const chain = z.strictObject({
  /** `system_chain`. */
  name: z.string().min(1).default('Autonomys Mainnet'),
  spec_version: z.number().int().positive().default(1),
  transaction_version: z.number().int().positive().default(1),
  /** Seconds of simulated time between blocks; 0 = no automatic production (tests call `produce`). */
  block_time_s: z.number().nonnegative().default(6),
  /** Slots per block (1 slot = 1 s); differs from block_time_s to simulate slot drift. Default = block_time_s. */
  slots_per_block: z.number().positive().optional(),
  /** Finalized = best − finality_depth on each node. */
  finality_depth: z.number().int().nonnegative().default(20),
  /** Blocks built before the simulator starts (history to catch up on), ending one block time before now. */
  history_blocks: z.number().int().nonnegative().max(1_000_000).default(0),
  /** Transfers in each history block (between the scenario's accounts, round robin). */
  history_transfers_per_block: z.number().int().nonnegative().max(100).default(0),
  /** Signatures of history blocks: real sr25519 or fake (same bytes shape, much faster to build). */
  history_signatures: z.enum(['real', 'fake']).default('real'),
});

const accountSpec = z.strictObject({
  name,
  /** Secret URI of a dev key (default `//<Name>`, e.g. //Alice). */
  uri: z.string().optional(),
  /** An address-only account (SS58); its extrinsics carry a fake signature. */
  address: z.string().optional(),
  balance: amountSchema.default(0),
});

const nodeSpec = z.strictObject({
  name,
  follows: name.default('main'),
  sees: z.enum(['all', 'own']).default('all'),
  delivery: z.enum(['auto', 'manual']).default('auto'),
  peers: z.number().int().nonnegative().default(8),
});

const farmers = z.strictObject({
  count: z.number().int().nonnegative().default(20),
  /** Each farmer votes once every this many blocks. */
  vote_every_blocks: z.number().int().positive().default(10),
});

const transferMethod = z.enum(['transfer_allow_death', 'transfer_keep_alive', 'transfer_all']);

export const actionSchema = z.union([
  z.strictObject({
    transfer: z.strictObject({
      from: account,
      to: account,
      amount: amountSchema.default(0),
      method: transferMethod.optional(),
    }),
  }),
  z.strictObject({
    force_transfer: z.strictObject({
      source: account,
      dest: account,
      amount: amountSchema,
      sudo: z.boolean().default(true),
    }),
  }),
  z.strictObject({
    transporter: z.strictObject({
      from: account,
      to: account,
      amount: amountSchema,
      domain_id: z.number().int().nonnegative().default(0),
    }),
  }),
  z.strictObject({
    domains: z.strictObject({
      from: account,
      operator_id: z.number().int().nonnegative(),
      amount: amountSchema,
    }),
  }),
  z.strictObject({ sudo: z.strictObject({ from: account.optional(), remark: z.string().optional() }) }),
  z.strictObject({ remark: z.strictObject({ from: account, remark: z.string().optional() }) }),
  z.strictObject({ runtime_upgrade: z.strictObject({ spec_version: z.number().int().positive() }) }),
  z.strictObject({
    undecodable: z.strictObject({ extrinsic: z.boolean().default(true), event: z.boolean().default(false) }),
  }),
  z.strictObject({ farmers: z.strictObject({ count: z.number().int().nonnegative() }) }),
  z.strictObject({
    operator_slashed: z.strictObject({
      operator_id: z.number().int().nonnegative(),
      reason: z.enum(['invalid_bundle', 'bad_execution_receipt']).default('invalid_bundle'),
    }),
  }),
  z.strictObject({
    operator_offline: z.strictObject({
      operator_id: z.number().int().nonnegative(),
      domain_id: z.number().int().nonnegative().default(0),
      submitted_bundles: z.number().int().nonnegative().default(0),
      expected_bundles: z.number().int().nonnegative().default(10),
      min_required_bundles: z.number().int().nonnegative().default(5),
    }),
  }),
  z.strictObject({ drain: z.strictObject({ account, per_block: amountSchema }) }),
  z.strictObject({ set_balance: z.strictObject({ account, amount: amountSchema }) }),
  z.strictObject({ stall: z.strictObject({ duration_s: z.number().positive() }) }),
  z.strictObject({ slot_drift: z.strictObject({ slots_per_block: z.number().positive() }) }),
  z.strictObject({ block_time: z.strictObject({ block_time_s: z.number().nonnegative() }) }),
  z.strictObject({ produce: z.strictObject({ blocks: z.number().int().positive().max(10_000) }) }),
  z.strictObject({
    fork: z.strictObject({ name, parent: blockRef, blocks: z.number().int().nonnegative().max(10_000) }),
  }),
  z.strictObject({
    extend: z.strictObject({ branch: name, blocks: z.number().int().positive().max(10_000) }),
  }),
  z.strictObject({
    switch: z.strictObject({ branch: name, nodes: nodeList.optional(), produce: z.boolean().default(true) }),
  }),
  z.strictObject({
    skip_announcements: z.strictObject({ node: name.optional(), blocks: z.number().int().positive() }),
  }),
  z.strictObject({
    announce: z.strictObject({
      node: name.optional(),
      blocks: z.array(blockRef).min(1),
      as: z
        .array(z.enum(['new', 'all', 'finalized']))
        .min(1)
        .default(['all']),
    }),
  }),
  z.strictObject({ disconnect: z.strictObject({ node: name }) }),
  z.strictObject({ reconnect: z.strictObject({ node: name }) }),
]);

const step = z
  .strictObject({
    /** Seconds after start (simulated time). */
    at_s: z.number().nonnegative().optional(),
    /** Just before main's block of this height is built (its extrinsics go into that block). */
    at_height: z.number().int().positive().optional(),
    actions: z.array(actionSchema).min(1),
  })
  .refine((s) => (s.at_s === undefined) !== (s.at_height === undefined), {
    message: 'give exactly one of at_s or at_height',
  });

export const scenarioSchema = z.strictObject({
  chain: chain.default(chain.parse({})),
  /** Account name holding the sudo key. */
  sudo: name.optional(),
  accounts: z.array(accountSpec).default([]),
  farmers: farmers.default(farmers.parse({})),
  nodes: z
    .array(nodeSpec)
    .min(1)
    .default([nodeSpec.parse({ name: 'node-0' })]),
  timeline: z.array(step).default([]),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioFile = z.output<typeof scenarioSchema>;
export type ActionInput = z.output<typeof actionSchema>;
