import { z } from 'zod';
import { defineEvent } from '../registry.ts';

/**
 * Interchain Security (x/provider v6–v7, permissionless ICS) consumer lifecycle, seen from a provider chain. The
 * envelope's chain_id is the provider's. dedup_keys are built from the provider's state (consumer id, phase, the
 * height of the transaction or, for changes made at BeginBlock that no event reports, the spawn time they belong
 * to), never from when or how an instance noticed, so instances sharing a bus store each fact once.
 */
export const ICS_CCV = 'ics-ccv';

const iso = z.iso.datetime({ offset: true });
const consumer = {
  consumer_id: z.string().describe('the provider-assigned consumer id ("0", "1", ...)'),
  consumer_chain_id: z.string(),
};
const phase = z
  .string()
  .describe(
    'REGISTERED, INITIALIZED, LAUNCHED, STOPPED, DELETED (the CONSUMER_PHASE_ prefix dropped); an unknown phase is passed through as the node sent it',
  );
const detectedBy = z
  .enum(['event', 'poll'])
  .describe('event: a Tx on the websocket; poll: a query found it (BeginBlock changes emit no Tx)');
const height = z
  .number()
  .int()
  .nonnegative()
  .nullable()
  .describe('provider height of the transaction, if known');
const rawAttributes = z
  .record(z.string(), z.string())
  .default({})
  .describe('the ABCI event attributes as received, unknown ones included');

export const consumerCreated = defineEvent({
  source: ICS_CCV,
  type: 'consumer_created',
  version: 1,
  description: 'MsgCreateConsumer registered a consumer (or a sync found one not seen before).',
  data: z.object({
    ...consumer,
    name: z.string().nullable(),
    owner: z.string().nullable(),
    phase,
    spawn_time: iso.nullable(),
    height,
    detected_by: detectedBy,
    attributes: rawAttributes,
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    name: 'consumer-1',
    owner: 'cosmos1owner...',
    phase: 'INITIALIZED',
    spawn_time: '2026-12-04T00:00:00Z',
    height: 1234,
    detected_by: 'event',
    attributes: {},
  },
});

export const consumerUpdated = defineEvent({
  source: ICS_CCV,
  type: 'consumer_updated',
  version: 1,
  description: 'MsgUpdateConsumer changed a consumer (metadata, init params, power shaping, owner).',
  data: z.object({
    ...consumer,
    phase,
    spawn_time: iso.nullable(),
    name: z.string().nullable(),
    top_n: z.number().int().nullable(),
    owner: z.string().nullable(),
    height,
    attributes: rawAttributes,
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    phase: 'INITIALIZED',
    spawn_time: '2026-12-04T00:00:00Z',
    name: null,
    top_n: 95,
    owner: 'cosmos1owner...',
    height: 1240,
    attributes: {},
  },
});

export const consumerPhaseChanged = defineEvent({
  source: ICS_CCV,
  type: 'consumer_phase_changed',
  version: 1,
  description:
    'A consumer moved from one phase to another. INITIALIZED → LAUNCHED and STOPPED → DELETED happen at BeginBlock without a Tx event and are found by polling.',
  data: z.object({
    ...consumer,
    from: phase.nullable(),
    to: phase,
    detected_by: detectedBy,
    spawn_time: iso.nullable(),
    height,
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    from: 'INITIALIZED',
    to: 'LAUNCHED',
    detected_by: 'poll',
    spawn_time: '2026-12-04T00:00:00Z',
    height: null,
  },
});

export const spawnScheduled = defineEvent({
  source: ICS_CCV,
  type: 'spawn_scheduled',
  version: 1,
  description: 'An INITIALIZED consumer has a spawn time: it launches at the first block after it.',
  data: z.object({
    ...consumer,
    spawn_time: iso,
    time_left_s: z.number().describe('spawn time minus observation time (negative once passed)'),
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    spawn_time: '2026-12-04T00:00:00Z',
    time_left_s: 7200,
  },
});

export const launchFailed = defineEvent({
  source: ICS_CCV,
  type: 'launch_failed',
  version: 1,
  description:
    'An INITIALIZED consumer went back to REGISTERED at its spawn time (e.g. no validator opted in); its spawn time was reset to 0001-01-01T00:00:00Z.',
  data: z.object({
    ...consumer,
    missed_spawn_time: iso.describe('the spawn time the launch was due at'),
    spawn_time_now: z.string().describe('the reset value, normally 0001-01-01T00:00:00Z'),
    detected_by: detectedBy,
  }),
  example: {
    consumer_id: '1',
    consumer_chain_id: 'consumer-2',
    missed_spawn_time: '2026-12-04T00:00:00Z',
    spawn_time_now: '0001-01-01T00:00:00Z',
    detected_by: 'poll',
  },
});

export const consumerRemoved = defineEvent({
  source: ICS_CCV,
  type: 'consumer_removed',
  version: 1,
  description:
    'MsgRemoveConsumer stopped a launched consumer (phase STOPPED; DELETED after the removal time).',
  data: z.object({ ...consumer, height, detected_by: detectedBy, attributes: rawAttributes }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    height: 5000,
    detected_by: 'event',
    attributes: {},
  },
});

const validatorFact = {
  ...consumer,
  provider_validator_address: z.string().describe('valcons address on the provider'),
  ours: z.boolean().describe('the configured validator of this instance'),
  height,
  detected_by: detectedBy,
  attributes: rawAttributes,
};

export const optIn = defineEvent({
  source: ICS_CCV,
  type: 'opt_in',
  version: 1,
  description: 'A validator opted in to validate a consumer.',
  data: z.object({ ...validatorFact, consumer_key: z.string().nullable() }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    provider_validator_address: 'cosmosvalcons1...',
    ours: true,
    height: 1250,
    detected_by: 'event',
    attributes: {},
    consumer_key: null,
  },
});

export const optOut = defineEvent({
  source: ICS_CCV,
  type: 'opt_out',
  version: 1,
  description: 'A validator opted out of a consumer.',
  data: z.object(validatorFact),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    provider_validator_address: 'cosmosvalcons1...',
    ours: false,
    height: 1300,
    detected_by: 'event',
    attributes: {},
  },
});

export const keyAssigned = defineEvent({
  source: ICS_CCV,
  type: 'key_assigned',
  version: 1,
  description:
    'A validator assigned a consumer consensus key (MsgAssignConsumerKey, or a key given with MsgOptIn).',
  data: z.object({ ...validatorFact, consumer_key: z.string() }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    provider_validator_address: 'cosmosvalcons1...',
    ours: true,
    height: 1260,
    detected_by: 'event',
    attributes: {},
    consumer_key: '{"@type":"/cosmos.crypto.ed25519.PubKey","key":"..."}',
  },
});

export const validatorSelection = defineEvent({
  source: ICS_CCV,
  type: 'validator_selection',
  version: 1,
  description:
    'The deterministic selection for a consumer: bonded validators at the event height sorted by tokens descending (ties by operator address), taken until their cumulative power reaches the threshold (0.66).',
  data: z.object({
    ...consumer,
    phase,
    spawn_time: iso.nullable(),
    threshold: z.number(),
    total_tokens: z.string().describe('bonded tokens of all bonded validators (decimal string)'),
    selected: z.array(z.object({ operator_address: z.string(), tokens: z.string(), opted_in: z.boolean() })),
    our_validator: z.string().nullable().describe('operator address of our validator, if configured'),
    ours_selected: z.boolean().nullable(),
    ours_opted_in: z.boolean().nullable(),
    height: z.number().int().nonnegative().describe('provider height the bonded validators were read at'),
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    phase: 'INITIALIZED',
    spawn_time: '2026-12-04T00:00:00Z',
    threshold: 0.66,
    total_tokens: '1000',
    selected: [{ operator_address: 'cosmosvaloper1a...', tokens: '700', opted_in: true }],
    our_validator: 'cosmosvaloper1a...',
    ours_selected: true,
    ours_opted_in: true,
    height: 1234,
  },
});

export const validatorDuty = defineEvent({
  source: ICS_CCV,
  type: 'validator_duty',
  version: 1,
  description:
    'Something our validator must do: opt_in (selected, not opted in before spawn), assign_key (opted in without an assigned consumer key), not_in_initial_set (launched while ours is not in the initial validator set).',
  data: z.object({
    ...consumer,
    duty: z.enum(['opt_in', 'assign_key', 'not_in_initial_set']),
    validator: z.string().describe('our operator address'),
    phase,
    spawn_time: iso.nullable(),
    time_left_s: z
      .number()
      .nullable()
      .describe('seconds until spawn (negative once passed); null when unknown'),
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    duty: 'opt_in',
    validator: 'cosmosvaloper1a...',
    phase: 'INITIALIZED',
    spawn_time: '2026-12-04T00:00:00Z',
    time_left_s: 3000,
  },
});

export const wouldOptIn = defineEvent({
  source: ICS_CCV,
  type: 'would_opt_in',
  version: 1,
  description:
    'Dry-run automation: our validator is selected and not opted in, so MsgOptIn would be submitted.',
  data: z.object({
    ...consumer,
    validator: z.string(),
    signer: z.string().nullable().describe('the account that would sign, from the key file'),
    spawn_time: iso.nullable(),
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    validator: 'cosmosvaloper1a...',
    signer: 'cosmos1a...',
    spawn_time: '2026-12-04T00:00:00Z',
  },
});

export const providerUnavailable = defineEvent({
  source: ICS_CCV,
  type: 'provider_unavailable',
  version: 1,
  description:
    'The chain answers but has no ICS provider module (e.g. the Cosmos Hub after ICS was removed): nothing to watch. Published once per instance start.',
  data: z.object({
    endpoint: z.string().describe('RPC URL, credentials masked'),
    reason: z.string(),
  }),
  example: {
    endpoint: 'https://rpc.example.org',
    reason: 'unknown query path /interchain_security.ccv.provider.v1.Query/QueryConsumerChains',
  },
});

export const consumerHealth = defineEvent({
  source: ICS_CCV,
  type: 'consumer_health',
  version: 1,
  description:
    "A launched consumer's own chain, read over its configured RPC: block production, the CCV channel and whether validator-set changes reach it. Published when its state (stalled, channel open or missing, valset stale, reachable) changes.",
  data: z.object({
    ...consumer,
    endpoint: z.string().describe('the consumer RPC URL, credentials masked'),
    height: z.number().int().nullable(),
    latest_block_time: iso.nullable(),
    block_age_s: z.number().nullable().describe('observation time minus the latest block time'),
    stalled: z.boolean().describe('no new block for longer than ics_ccv.stall_after'),
    ccv_channel_open: z.boolean().describe('a channel on port consumer (counterparty port provider) is OPEN'),
    ccv_channel_missing: z
      .boolean()
      .describe('launched longer ago than ics_ccv.ccv_channel_within and still no open CCV channel'),
    valset_in_sync: z
      .boolean()
      .nullable()
      .describe('consumer valset = the last one the provider sent; null: unknown'),
    valset_out_of_sync_s: z
      .number()
      .nullable()
      .describe('how long the two sets have differed; null when equal'),
    valset_stale: z
      .boolean()
      .describe('differed longer than ics_ccv.valset_stale_after: VSC packets not relayed'),
    launched_for_s: z.number().nullable().describe('since the spawn time; null when unknown'),
    error: z.string().nullable().describe('why the consumer RPC could not be read; null when it could'),
  }),
  example: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    endpoint: 'https://rpc.consumer.example.org',
    height: 1520,
    latest_block_time: '2026-12-04T01:00:00Z',
    block_age_s: 420,
    stalled: true,
    ccv_channel_open: true,
    ccv_channel_missing: false,
    valset_in_sync: false,
    valset_out_of_sync_s: 900,
    valset_stale: true,
    launched_for_s: 3600,
    error: null,
  },
});

export const icsCcvEvents = [
  consumerCreated,
  consumerUpdated,
  consumerPhaseChanged,
  spawnScheduled,
  launchFailed,
  consumerRemoved,
  optIn,
  optOut,
  keyAssigned,
  validatorSelection,
  validatorDuty,
  wouldOptIn,
  providerUnavailable,
  consumerHealth,
];
