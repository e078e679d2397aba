import { z } from 'zod';
import { defineEvent } from '../registry.ts';

export const COSMOS_IBC = 'cosmos-ibc';

const height = z.object({ revision_number: z.string(), revision_height: z.string() });
const decimalString = z.string().regex(/^\d+$/, 'a non-negative integer as a decimal string');

export const clientStatus = defineEvent({
  source: COSMOS_IBC,
  type: 'client_status',
  version: 1,
  description:
    'One IBC light client on a chain, per scan. dedup_key includes the latest height, so an unchanged client is stored once per duplicate window.',
  data: z.object({
    client_id: z.string(),
    client_type: z.string().describe('07-tendermint, 08-wasm, 06-solomachine, ...'),
    counterparty_chain_id: z.string().nullable(),
    connection_ids: z.array(z.string()),
    status: z
      .enum(['Active', 'Expired', 'Frozen', 'Unknown', 'Unauthorized', 'Unsupported'])
      .describe('ClientStatus from the chain; Unsupported = a client type tocsin does not read'),
    trusting_period_s: z.number().nonnegative().nullable(),
    latest_height: height.nullable(),
    last_update: z.iso
      .datetime({ offset: true })
      .nullable()
      .describe('consensus-state timestamp at latest_height'),
    elapsed_s: z.number().nullable(),
    elapsed_ratio: z.number().nullable().describe('elapsed_s / trusting_period_s'),
    remaining_s: z.number().nullable().describe('trusting_period_s - elapsed_s (negative once expired)'),
    expires_at: z.iso.datetime({ offset: true }).nullable(),
  }),
  example: {
    client_id: '07-tendermint-0',
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    connection_ids: ['connection-0'],
    status: 'Active',
    trusting_period_s: 51800,
    latest_height: { revision_number: '1', revision_height: '52341' },
    last_update: '2026-11-20T12:00:00Z',
    elapsed_s: 41441,
    elapsed_ratio: 0.80002,
    remaining_s: 10359,
    expires_at: '2026-11-21T02:23:20Z',
  },
});

export const clientUpdated = defineEvent({
  source: COSMOS_IBC,
  type: 'client_updated',
  version: 1,
  description: "A client's latest height moved since the previous scan (a relayer updated it).",
  data: z.object({
    client_id: z.string(),
    counterparty_chain_id: z.string().nullable(),
    previous_height: height,
    latest_height: height,
    last_update: z.iso.datetime({ offset: true }).nullable(),
  }),
  example: {
    client_id: '07-tendermint-0',
    counterparty_chain_id: 'osmosis-1',
    previous_height: { revision_number: '1', revision_height: '52341' },
    latest_height: { revision_number: '1', revision_height: '52900' },
    last_update: '2026-11-21T12:00:00Z',
  },
});

export const walletBalance = defineEvent({
  source: COSMOS_IBC,
  type: 'wallet_balance',
  version: 1,
  description:
    'A tracked wallet balance per scan, with the burn rate and projected time to empty computed from its history.',
  data: z.object({
    address: z.string(),
    denom: z.string(),
    display_denom: z.string(),
    amount: decimalString.describe('base units, e.g. uatom'),
    display_amount: z.number().describe('amount / 10^exponent, e.g. ATOM'),
    burn_per_hour: z.number().nullable().describe('display units per hour, from history; null when unknown'),
    projected_empty_at: z.iso.datetime({ offset: true }).nullable(),
    projected_empty_s: z.number().nullable(),
    subscribers: z
      .array(z.object({ owner: z.string(), threshold: z.number() }))
      .describe('who asked to be told, with their thresholds in display units'),
    labels: z.record(z.string(), z.string()).default({}),
  }),
  example: {
    address: 'cosmos1relayer...',
    denom: 'uatom',
    display_denom: 'ATOM',
    amount: '1500000',
    display_amount: 1.5,
    burn_per_hour: 0.1,
    projected_empty_at: '2026-11-22T03:00:00Z',
    projected_empty_s: 54000,
    subscribers: [{ owner: 'discord:123456789012345678', threshold: 2 }],
    labels: {},
  },
});

export const endpointError = defineEvent({
  source: COSMOS_IBC,
  type: 'endpoint_error',
  version: 1,
  description:
    'A chain endpoint failed a query (timeout, HTTP error, undecodable or oversized answer, a node of another chain). The scan goes on. URLs are shown with their credentials masked.',
  data: z.object({
    endpoint: z
      .string()
      .describe('the endpoint URL, user info and query values masked (https://***:***@host/?apikey=***)'),
    query: z.string(),
    reason: z.string(),
    kind: z
      .enum(['timeout', 'http', 'decode', 'rpc', 'connect', 'too_large', 'wrong_chain', 'other'])
      .describe(
        'too_large: the answer passed cosmos_ibc.max_response_bytes; wrong_chain: the node serves another chain (network)',
      ),
    network: z
      .string()
      .optional()
      .describe(
        'wrong_chain only: the chain the node serves (status node_info.network); chain_id is the expected one',
      ),
  }),
  example: {
    endpoint: 'https://rpc.example.org',
    query: '/ibc.core.client.v1.Query/ClientState',
    reason: 'timeout after 10000 ms',
    kind: 'timeout',
  },
});

export const scanCompleted = defineEvent({
  source: COSMOS_IBC,
  type: 'scan_completed',
  version: 1,
  description:
    "A scan of one chain finished: counts, duration, the latest block height seen and that block's age (how long the chain has not produced a block, as the node answering saw it).",
  data: z.object({
    clients: z.number().int().nonnegative(),
    wallets: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    skipped_expired: z.number().int().nonnegative(),
    duration_ms: z.number().nonnegative(),
    height: z.number().int().nonnegative().nullable(),
    // Added later (optional: absent in events of older ingestors, read as null).
    latest_block_time: z.iso
      .datetime({ offset: true })
      .nullable()
      .default(null)
      .describe('header time of the block at `height` (CometBFT status sync_info.latest_block_time)'),
    block_age_s: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe(
        'seconds from latest_block_time to when the scan read it (0 when the block is from the future): how long the chain has not produced a block; null when the height is unknown',
      ),
    catching_up: z
      .boolean()
      .nullable()
      .default(null)
      .describe(
        'the node answering is still syncing (its latest block is old because it is behind, not the chain)',
      ),
  }),
  example: {
    clients: 120,
    wallets: 3,
    errors: 0,
    skipped_expired: 2,
    duration_ms: 2400,
    height: 23456789,
    latest_block_time: '2026-11-21T11:59:54Z',
    block_age_s: 6.2,
    catching_up: false,
  },
});

export const cosmosIbcEvents = [clientStatus, clientUpdated, walletBalance, endpointError, scanCompleted];
