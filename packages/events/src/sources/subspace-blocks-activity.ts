import { z } from 'zod';
import { defineEvent } from '../registry.ts';
import {
  blockRef,
  decimalString,
  iso,
  labelled,
  reference,
  SUBSPACE_BLOCKS,
} from './subspace-blocks-common.ts';

/** subspace-blocks: on-chain activity (transfers, sudo, important addresses, operators) and its retraction. */
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
