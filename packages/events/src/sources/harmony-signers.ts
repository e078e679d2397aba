import { z } from 'zod';
import { defineEvent } from '../registry.ts';
import { owner } from '../rpc.ts';

export const HARMONY_SIGNERS = 'harmony-signers';

/** A BLS public key as Harmony prints it: 48 bytes, 96 lowercase hex characters, no 0x. */
export const blsKey = z.string().regex(/^[0-9a-f]{96}$/, 'a BLS public key: 96 lowercase hex characters');
/** `consensus.mode` of hmyv2_getNodeMetadata; an unknown value is rendered by the node as "Mode N". */
export const consensusMode = z.string().min(1).max(32);
/** 96 hex characters, as in the examples of PROTOCOLS.md §5. */
const EXAMPLE_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'.repeat(3);
const time = z.iso.datetime({ offset: true });
/** Whom an alert about this fact goes to: `for_each: { items: owners }` in a rule gives one alert per owner. */
const owners = z.array(z.object({ owner })).describe('the token owners concerned (one alert each)');

/** One host as its own owner sees it (never another owner's host). */
const hostView = z.object({
  hostname: z.string(),
  validator_address: z.string().nullable(),
  mode: consensusMode,
  is_backup: z.boolean().nullable(),
  reported_at: time,
});

export const signerReport = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'signer_report',
  version: 1,
  description:
    "One agent report: the BLS keys loaded on a host's Harmony node and its consensus mode (hmyv2_getNodeMetadata), or that the agent could not read its node (node_reachable false). dedup_key is the token id and the report's nonce.",
  data: z.object({
    token_id: z.string().describe('the agent token that signed the report (not the token itself)'),
    owner,
    owners,
    hostname: z.string(),
    validator_address: z.string().nullable(),
    node_reachable: z.boolean(),
    node_error: z.string().nullable().describe('why the node did not answer (node_reachable false)'),
    shard_id: z.number().int().nonnegative().nullable(),
    blskeys: z.array(blsKey),
    mode: consensusMode.nullable().describe('consensus.mode: Normal, ViewChanging, Syncing, Listening'),
    is_backup: z.boolean().nullable(),
    peerid: z.string().nullable(),
    block_number: z.number().int().nonnegative().nullable(),
    reported_at: time.describe("the agent's clock when it read the node"),
    received_at: time.describe('when the service accepted the report'),
    interval_s: z.number().positive().describe("the agent's report interval"),
    buffered: z.boolean().describe("sent late from the agent's disk buffer (the service was unreachable)"),
  }),
  example: {
    token_id: 'tok_01JD5ZQ4X8N9S2M3K4P5R6T7V8',
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    hostname: 'val-backup-1',
    validator_address: 'one1validator...',
    node_reachable: true,
    node_error: null,
    shard_id: 0,
    blskeys: [EXAMPLE_KEY],
    mode: 'Normal',
    is_backup: true,
    peerid: 'QmYx...',
    block_number: 71234567,
    reported_at: '2026-12-03T18:00:00Z',
    received_at: '2026-12-03T18:00:00.120Z',
    interval_s: 15,
    buffered: false,
  },
});

export const doubleSignRisk = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'double_sign_risk',
  version: 1,
  description:
    "A BLS key is loaded on two or more hosts in consensus mode Normal within the freshness window (both would sign: slashable), or, with active false, no longer is. Published while handling the report that brought it about. `sides` holds each owner's own hosts only, so a rule can alert every owner with their side. dedup_key is the key, the Normal hosts and active.",
  data: z.object({
    bls_key: blsKey,
    active: z.boolean().describe('true: two or more Normal hosts now; false: the risk ended'),
    shard_id: z.number().int().nonnegative().nullable(),
    normal_hosts: z.number().int().nonnegative().describe('how many hosts report the key in Normal mode'),
    sides: z.array(
      z.object({
        owner,
        hosts: z.array(hostView).describe("this owner's hosts that report the key"),
        hosts_text: z.string().describe('the same hosts as one line, e.g. "val-1 (Normal), val-2 (Normal)"'),
        other_owners: z.number().int().nonnegative().describe('how many other owners report the key'),
      }),
    ),
    detected_at: time,
  }),
  example: {
    bls_key: EXAMPLE_KEY,
    active: true,
    shard_id: 0,
    normal_hosts: 2,
    sides: [
      {
        owner: 'discord:123456789012345678',
        hosts: [
          {
            hostname: 'val-main',
            validator_address: 'one1validator...',
            mode: 'Normal',
            is_backup: false,
            reported_at: '2026-12-03T18:00:00Z',
          },
          {
            hostname: 'val-backup-1',
            validator_address: 'one1validator...',
            mode: 'Normal',
            is_backup: true,
            reported_at: '2026-12-03T18:00:03Z',
          },
        ],
        hosts_text: 'val-main (Normal), val-backup-1 (Normal)',
        other_owners: 0,
      },
    ],
    detected_at: '2026-12-03T18:00:03.050Z',
  },
});

const hostFact = {
  token_id: z.string(),
  owner,
  owners,
  hostname: z.string(),
  validator_address: z.string().nullable(),
};

export const backupMismatch = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'backup_mismatch',
  version: 1,
  description:
    "A node's backup flag disagrees with its consensus mode: flagged is-backup yet in Normal mode (signing), or not flagged yet not in Normal mode while its keys are signed nowhere else. Reported with each such report; a report without the mismatch ends it.",
  data: z.object({
    ...hostFact,
    kind: z.enum(['backup_signing', 'primary_not_signing']),
    mode: consensusMode,
    is_backup: z.boolean(),
    blskeys: z.array(blsKey),
  }),
  example: {
    token_id: 'tok_01JD5ZQ4X8N9S2M3K4P5R6T7V8',
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    hostname: 'val-backup-1',
    validator_address: 'one1validator...',
    kind: 'backup_signing',
    mode: 'Normal',
    is_backup: true,
    blskeys: [EXAMPLE_KEY],
  },
});

export const keyMoved = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'key_moved',
  version: 1,
  description:
    "A BLS key now signs (Normal) on another host of the same owner than the last host that signed with it: a failover happened. dedup_key is the key, both hosts and the new host's report nonce.",
  data: z.object({
    owner,
    owners,
    bls_key: blsKey,
    from_host: z.string(),
    to_host: z.string(),
    validator_address: z.string().nullable(),
    moved_at: time,
  }),
  example: {
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    bls_key: EXAMPLE_KEY,
    from_host: 'val-main',
    to_host: 'val-backup-1',
    validator_address: 'one1validator...',
    moved_at: '2026-12-03T18:00:03Z',
  },
});

export const agentSilent = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'agent_silent',
  version: 1,
  description:
    'An agent has not reported for `silent_intervals` of its own intervals (3 by default). Re-published while it stays silent; its next signer_report ends it. dedup_key is the host and the silent interval count, so replicas publish each once.',
  data: z.object({
    ...hostFact,
    last_report_at: time,
    silent_s: z.number().nonnegative(),
    interval_s: z.number().positive(),
  }),
  example: {
    token_id: 'tok_01JD5ZQ4X8N9S2M3K4P5R6T7V8',
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    hostname: 'val-main',
    validator_address: 'one1validator...',
    last_report_at: '2026-12-03T18:00:00Z',
    silent_s: 45,
    interval_s: 15,
  },
});

export const keyNotSigning = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'key_not_signing',
  version: 1,
  description:
    "A BLS key of a validator address is loaded on the owner's reporting hosts but in Normal mode on none of them (the key signs nowhere). Re-published with each report while it lasts; with active false once a host signs with it again.",
  data: z.object({
    owner,
    owners,
    bls_key: blsKey,
    active: z.boolean().describe('true: signing nowhere now; false: a host signs with it again'),
    validator_address: z.string().nullable(),
    hosts: z.array(hostView).describe("the owner's hosts that hold the key, none in Normal mode"),
    hosts_text: z.string(),
  }),
  example: {
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    bls_key: EXAMPLE_KEY,
    active: true,
    validator_address: 'one1validator...',
    hosts: [
      {
        hostname: 'val-main',
        validator_address: 'one1validator...',
        mode: 'Syncing',
        is_backup: false,
        reported_at: '2026-12-03T18:00:00Z',
      },
    ],
    hosts_text: 'val-main (Syncing)',
  },
});

export const nodeUnreachable = defineEvent({
  source: HARMONY_SIGNERS,
  type: 'node_unreachable',
  version: 1,
  description:
    'An agent reported that its local Harmony node did not answer hmyv2_getNodeMetadata (connection refused, timeout, a bad answer). The agent keeps running; its next good report ends it.',
  data: z.object({
    ...hostFact,
    reason: z.string(),
    reported_at: time,
  }),
  example: {
    token_id: 'tok_01JD5ZQ4X8N9S2M3K4P5R6T7V8',
    owner: 'discord:123456789012345678',
    owners: [{ owner: 'discord:123456789012345678' }],
    hostname: 'val-main',
    validator_address: 'one1validator...',
    reason: 'connect ECONNREFUSED 127.0.0.1:9500',
    reported_at: '2026-12-03T18:00:00Z',
  },
});

export const harmonySignersEvents = [
  signerReport,
  doubleSignRisk,
  backupMismatch,
  keyMoved,
  agentSilent,
  keyNotSigning,
  nodeUnreachable,
];

/**
 * The body of `POST /v1/harmony/reports` (agent → harmony-signers, bearer token). Not an event: the service checks
 * it, records it and publishes it as `signer_report`. `nonce` is unique per report of a token (a replay is refused).
 */
export const reportRequest = z.strictObject({
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, '16 to 128 characters: letters, digits, "_" and "-"'),
  hostname: z.string().min(1).max(253),
  validator_address: z.string().min(1).max(128).nullable().default(null),
  reported_at: time,
  interval_s: z.number().positive().max(86_400).default(15),
  buffered: z.boolean().default(false),
  agent_version: z.string().max(64).optional(),
  node: z.discriminatedUnion('reachable', [
    z.strictObject({
      reachable: z.literal(true),
      shard_id: z.number().int().nonnegative(),
      blskeys: z.array(blsKey).max(256),
      mode: consensusMode,
      is_backup: z.boolean(),
      peerid: z.string().max(128).nullable().default(null),
      block_number: z.number().int().nonnegative().nullable().default(null),
    }),
    z.strictObject({ reachable: z.literal(false), error: z.string().min(1).max(1_000) }),
  ]),
});
export type ReportRequest = z.input<typeof reportRequest>;
