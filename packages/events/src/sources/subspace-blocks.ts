import { z } from 'zod';
import { defineEvent } from '../registry.ts';
import {
  addressActivity,
  addressBalance,
  operatorOffline,
  operatorSlashed,
  retracted,
  sudo,
  transfer,
} from './subspace-blocks-activity.ts';
import { blockRef, hash, height, iso, node, SUBSPACE_BLOCKS } from './subspace-blocks-common.ts';

export {
  addressActivity,
  addressBalance,
  operatorOffline,
  operatorSlashed,
  retracted,
  SUBSPACE_BLOCKS,
  sudo,
  transfer,
};

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
