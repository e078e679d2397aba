import { z } from 'zod';
import { defineEvent } from '../registry.ts';

export const SUBSPACE_BLOCKS = 'subspace-blocks';

const hash = z.string().regex(/^0x[0-9a-f]{64}$/, 'a 32-byte hash as 0x + 64 lowercase hex digits');
const height = z.number().int().nonnegative();
const decimalString = z.string().regex(/^\d+$/, 'a non-negative integer as a decimal string');
const blockRef = z.object({ height, hash });
const iso = z.iso.datetime({ offset: true });
const node = z.string().describe('the node URL, user info and query values masked');

/** Where in a block a fact was read: an extrinsic (call), an event, or both. */
const reference = z.object({
  block: blockRef,
  extrinsic_index: z.number().int().nonnegative().nullable(),
  event_index: z.number().int().nonnegative().nullable(),
  id: z.string().describe('<height>-<extrinsic index> or <height>-e<event index>, as Subscan names them'),
});

const labelled = z.object({ address: z.string(), label: z.string() });

export const block = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'block',
  version: 1,
  description:
    'A block of the best fork, checked once (in chain order, gap-filled). dedup_key is the block hash, so several instances report it once.',
  data: z.object({
    node,
    height,
    hash,
    parent: hash,
    best: z.boolean().describe('true while the block is the tip of the best fork when checked'),
    slot: z.number().int().nonnegative().nullable().describe('from the SUB_ pre-runtime digest'),
    timestamp: iso.nullable().describe('chain time: the Timestamp.set inherent'),
    extrinsics: z.number().int().nonnegative(),
    events: z.number().int().nonnegative().nullable(),
    spec_version: z.number().int().nonnegative().nullable(),
  }),
  example: {
    node: 'ws://127.0.0.1:9944',
    height: 3795487,
    hash: `0x${'ab'.repeat(32)}`,
    parent: `0x${'aa'.repeat(32)}`,
    best: true,
    slot: 22772922,
    timestamp: '2026-12-03T18:00:00Z',
    extrinsics: 3,
    events: 7,
    spec_version: 6,
  },
});

export const reorg = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'reorg',
  version: 1,
  description:
    'The best fork changed to one that does not extend the previous tip. depth = blocks of the old fork left behind (old tip height - common ancestor height); backwards = the new tip is lower than the old one.',
  data: z.object({
    old_tip: blockRef,
    new_tip: blockRef,
    common_ancestor: blockRef,
    depth: z.number().int().nonnegative(),
    new_depth: z.number().int().nonnegative().describe('blocks of the new fork above the common ancestor'),
    backwards: z.boolean(),
    retracted: z.array(hash).describe('hashes of the old-fork blocks that left the best chain'),
  }),
  example: {
    old_tip: { height: 103, hash: `0x${'d1'.repeat(32)}` },
    new_tip: { height: 104, hash: `0x${'e2'.repeat(32)}` },
    common_ancestor: { height: 101, hash: `0x${'0f'.repeat(32)}` },
    depth: 2,
    new_depth: 3,
    backwards: false,
    retracted: [`0x${'c1'.repeat(32)}`, `0x${'d1'.repeat(32)}`],
  },
});

export const sideFork = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'side_fork',
  version: 1,
  description: 'A fork other than the best one was seen or grew: its tip, length above the fork point.',
  data: z.object({
    tip: blockRef,
    fork_point: blockRef,
    length: z.number().int().positive(),
    best_tip: blockRef,
  }),
  example: {
    tip: { height: 110, hash: `0x${'c3'.repeat(32)}` },
    fork_point: { height: 104, hash: `0x${'0f'.repeat(32)}` },
    length: 6,
    best_tip: { height: 111, hash: `0x${'e3'.repeat(32)}` },
  },
});

export const chainTimeGap = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'chain_time_gap',
  version: 1,
  description:
    'Chain time (Timestamp.set) between a best-fork block and its parent, when it is at least 30 s.',
  data: z.object({
    block: blockRef,
    parent_timestamp: iso,
    timestamp: iso,
    gap_s: z.number().nonnegative(),
  }),
  example: {
    block: { height: 2000, hash: `0x${'ab'.repeat(32)}` },
    parent_timestamp: '2026-12-03T18:00:00Z',
    timestamp: '2026-12-03T18:01:05Z',
    gap_s: 65,
  },
});

export const transfer = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'transfer',
  version: 1,
  description:
    'A balance transfer in a best-fork block: a Balances call or event, a force_* call, a Transporter or Domains transfer. dedup_key = <block hash>:<reference id>.',
  data: z.object({
    kind: z.enum(['transfer', 'force', 'transporter', 'domains']),
    call: z.string().describe('pallet.method of the call or event, e.g. balances.transferKeepAlive'),
    from: z.string().nullable(),
    to: z.string().nullable(),
    amount: decimalString.describe('shannons (10^-18 AI3)'),
    display_amount: z.number().describe('AI3'),
    via: z.enum(['extrinsic', 'event']),
    in_sudo: z.boolean().describe('dispatched by a sudo call'),
    important: z.array(labelled).describe('important addresses among from/to'),
    ref: reference,
    explorer_url: z.string().nullable(),
  }),
  example: {
    kind: 'transfer',
    call: 'balances.transferKeepAlive',
    from: 'suFrom…',
    to: 'suTo…',
    amount: '2000000000000000000000000',
    display_amount: 2000000,
    via: 'extrinsic',
    in_sudo: false,
    important: [{ address: 'suTo…', label: 'DevCo Treasury' }],
    ref: {
      block: { height: 3795487, hash: `0x${'ab'.repeat(32)}` },
      extrinsic_index: 2,
      event_index: null,
      id: '3795487-2',
    },
    explorer_url: 'https://autonomys.subscan.io/extrinsic/3795487-2',
  },
});

export const sudo = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'sudo',
  version: 1,
  description: 'A Sudo call (extrinsic) or Sudo event in a best-fork block.',
  data: z.object({
    call: z.string().describe('sudo.sudo, sudo.setKey, … or the event name, e.g. sudo.Sudid'),
    inner_call: z.string().nullable().describe('the dispatched call, e.g. balances.forceTransfer'),
    signer: z.string().nullable(),
    result: z.enum(['ok', 'error']).nullable(),
    via: z.enum(['extrinsic', 'event']),
    ref: reference,
    explorer_url: z.string().nullable(),
  }),
  example: {
    call: 'sudo.sudo',
    inner_call: 'system.setCode',
    signer: 'suSudo…',
    result: 'ok',
    via: 'extrinsic',
    ref: {
      block: { height: 3795487, hash: `0x${'ab'.repeat(32)}` },
      extrinsic_index: 1,
      event_index: null,
      id: '3795487-1',
    },
    explorer_url: 'https://autonomys.subscan.io/extrinsic/3795487-1',
  },
});

export const addressActivity = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'address_activity',
  version: 1,
  description: 'An extrinsic signed by, or an event naming, an important address (other than a transfer).',
  data: z.object({
    address: z.string(),
    label: z.string(),
    call: z.string(),
    via: z.enum(['extrinsic', 'event']),
    ref: reference,
    explorer_url: z.string().nullable(),
  }),
  example: {
    address: 'suTreasury…',
    label: 'DevCo Treasury',
    call: 'utility.batch',
    via: 'extrinsic',
    ref: {
      block: { height: 3795487, hash: `0x${'ab'.repeat(32)}` },
      extrinsic_index: 3,
      event_index: null,
      id: '3795487-3',
    },
    explorer_url: 'https://autonomys.subscan.io/extrinsic/3795487-3',
  },
});

export const addressBalance = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'address_balance',
  version: 1,
  description:
    'An important address balance, polled every N best-fork blocks, with the burn rate and projected time to empty from its history.',
  data: z.object({
    address: z.string(),
    label: z.string(),
    free: decimalString.describe('shannons'),
    reserved: decimalString,
    display_amount: z.number().describe('free balance in AI3'),
    threshold: z.number().nonnegative().nullable().describe('AI3; configured per address'),
    burn_per_hour: z.number().nullable(),
    projected_empty_at: iso.nullable(),
    projected_empty_s: z.number().nullable(),
    block: blockRef,
  }),
  example: {
    address: 'suOps…',
    label: 'Operations',
    free: '1500000000000000000',
    reserved: '0',
    display_amount: 1.5,
    threshold: 10,
    burn_per_hour: 0.1,
    projected_empty_at: '2026-12-04T09:00:00Z',
    projected_empty_s: 54000,
    block: { height: 3795500, hash: `0x${'ab'.repeat(32)}` },
  },
});

export const farmerVotes = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'farmer_votes',
  version: 1,
  description:
    'Active farmers (voted in Subspace.FarmerVote within the inactivity window) after a best-fork block, and the average over the history window.',
  data: z.object({
    block: blockRef,
    active_farmers: z.number().int().nonnegative(),
    votes_in_block: z.number().int().nonnegative(),
    window_average: z.number().nonnegative().nullable(),
    window_blocks: z.number().int().nonnegative(),
    window_full: z.boolean(),
    ratio: z.number().nullable().describe('active_farmers / window_average'),
  }),
  example: {
    block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
    active_farmers: 40,
    votes_in_block: 3,
    window_average: 120.5,
    window_blocks: 1000,
    window_full: true,
    ratio: 0.332,
  },
});

export const slotTime = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'slot_time',
  version: 1,
  description:
    'Seconds per slot over the last window of best-fork blocks: (chain time last - first) / (slot last - first).',
  data: z.object({
    block: blockRef,
    seconds_per_slot: z.number().nullable(),
    window_blocks: z.number().int().nonnegative(),
    window_full: z.boolean(),
  }),
  example: {
    block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
    seconds_per_slot: 1.003,
    window_blocks: 100,
    window_full: true,
  },
});

export const operatorSlashed = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'operator_slashed',
  version: 1,
  description: 'Domains.OperatorSlashed in a best-fork block.',
  data: z.object({
    operator_id: z.string(),
    reason: z.string(),
    ref: reference,
    explorer_url: z.string().nullable(),
  }),
  example: {
    operator_id: '12',
    reason: 'InvalidBundle',
    ref: {
      block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
      extrinsic_index: null,
      event_index: 4,
      id: '5000-e4',
    },
    explorer_url: 'https://autonomys.subscan.io/block/5000',
  },
});

export const operatorOffline = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'operator_offline',
  version: 1,
  description: 'Domains.OperatorOffline in a best-fork block: an operator submitted too few bundles.',
  data: z.object({
    operator_id: z.string(),
    domain_id: z.string(),
    submitted_bundles: z.number().int().nonnegative().nullable(),
    expected_bundles: z.number().int().nonnegative().nullable(),
    min_required_bundles: z.number().int().nonnegative().nullable(),
    ref: reference,
    explorer_url: z.string().nullable(),
  }),
  example: {
    operator_id: '12',
    domain_id: '0',
    submitted_bundles: 1,
    expected_bundles: 10,
    min_required_bundles: 5,
    ref: {
      block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
      extrinsic_index: null,
      event_index: 5,
      id: '5000-e5',
    },
    explorer_url: 'https://autonomys.subscan.io/block/5000',
  },
});

export const runtimeUpgrade = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'runtime_upgrade',
  version: 1,
  description:
    'The runtime version changed at a best-fork block (System.CodeUpdated or a new spec version); metadata was refreshed.',
  data: z.object({
    block: blockRef,
    spec_name: z.string(),
    spec_version: z.number().int().nonnegative(),
    previous_spec_version: z.number().int().nonnegative().nullable(),
  }),
  example: {
    block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
    spec_name: 'subspace',
    spec_version: 7,
    previous_spec_version: 6,
  },
});

export const nodeStatus = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'node_status',
  version: 1,
  description:
    'One node as this instance sees it: connected or not (with the error), its best and finalized blocks, peers, and how many blocks its best tip is off the primary best chain. Sent on change and every minute.',
  data: z.object({
    node,
    primary: z.boolean(),
    connected: z.boolean(),
    best: blockRef.nullable(),
    finalized: blockRef.nullable(),
    peers: z.number().int().nonnegative().nullable(),
    syncing: z.boolean().nullable(),
    off_best_chain: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe('blocks between its best tip and the primary best chain (0 = agrees); null if unknown'),
    error: z.string().nullable(),
  }),
  example: {
    node: 'ws://127.0.0.1:9944',
    primary: true,
    connected: true,
    best: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
    finalized: { height: 4990, hash: `0x${'aa'.repeat(32)}` },
    peers: 25,
    syncing: false,
    off_best_chain: 0,
    error: null,
  },
});

export const retracted = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'retracted',
  version: 1,
  description:
    'A reported transfer or sudo whose block left the best chain in a reorg. original_dedup_key is the dedup_key of the event it withdraws.',
  data: z.object({
    original_type: z.enum(['transfer', 'sudo']),
    original_dedup_key: z.string(),
    ref: reference,
    new_tip: blockRef,
  }),
  example: {
    original_type: 'transfer',
    original_dedup_key: `0x${'d1'.repeat(32)}:103-2`,
    ref: {
      block: { height: 103, hash: `0x${'d1'.repeat(32)}` },
      extrinsic_index: 2,
      event_index: null,
      id: '103-2',
    },
    new_tip: { height: 104, hash: `0x${'e2'.repeat(32)}` },
  },
});

export const decodeFailed = defineEvent({
  source: SUBSPACE_BLOCKS,
  type: 'decode_failed',
  version: 1,
  description:
    'A warning: an extrinsic or the events of a block could not be decoded with the metadata in use (metadata mismatch). The block is still checked; the rest is processed.',
  data: z.object({
    block: blockRef,
    part: z.enum(['extrinsic', 'events', 'header']),
    index: z.number().int().nonnegative().nullable(),
    spec_version: z.number().int().nonnegative().nullable(),
    reason: z.string(),
  }),
  example: {
    block: { height: 5000, hash: `0x${'ab'.repeat(32)}` },
    part: 'extrinsic',
    index: 2,
    spec_version: 6,
    reason: 'Unable to decode Call: unknown pallet index 250',
  },
});

export const subspaceBlocksEvents = [
  block,
  reorg,
  sideFork,
  chainTimeGap,
  transfer,
  sudo,
  addressActivity,
  addressBalance,
  farmerVotes,
  slotTime,
  operatorSlashed,
  operatorOffline,
  runtimeUpgrade,
  nodeStatus,
  retracted,
  decodeFailed,
];
