import { z } from 'zod';
import { alert } from './alert.ts';
import { alertSubscriptionRpc } from './alertSubscriptions.ts';
import { maintenanceOrigin, maintenanceTimes, maintenanceWindow } from './maintenance.ts';
import { matcher } from './matcher.ts';
import { caller, owner } from './owner.ts';

export {
  type AlertSubscription,
  alertSubscription,
  CADENCES,
  type Cadence,
  cadence,
} from './alertSubscriptions.ts';
export { formatMatchers, type Matcher, matcher } from './matcher.ts';
export { owner } from './owner.ts';

/**
 * Request/reply contracts on `<prefix>.rpc.<service>.<method>`. Replies are `{ok: true, result}` or
 * `{ok: false, error: {code, message, issues?}}` (codes: bad_request, not_found, forbidden, unavailable, internal).
 * Chat notifiers call these for buttons and commands; a service never imports another service.
 */
export const silence = z.object({
  id: z.string(),
  matchers: z.array(matcher).min(1),
  starts_at: z.iso.datetime({ offset: true }),
  ends_at: z.iso.datetime({ offset: true }),
  author: z.string(),
  reason: z.string(),
  created_at: z.iso.datetime({ offset: true }),
});

export const subscription = z.object({
  id: z.string(),
  owner,
  kind: z.enum(['wallet', 'harmony_token']).default('wallet'),
  target: z.string().min(1).describe('wallet address, token id, ...'),
  chain_id: z.string().min(1),
  threshold: z.number().nonnegative().nullable().describe('display units, e.g. 2 = 2 ATOM'),
  created_at: z.iso.datetime({ offset: true }),
});

/** One step in an alert's life (opened, fired, notified, acknowledged, silenced, resolved, ...). */
export const timelineItem = z.object({
  at: z.iso.datetime({ offset: true }),
  kind: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const alerterRpc = {
  ack: {
    request: caller
      .extend({
        fingerprint: z.string().optional(),
        episode_id: z.string().optional(),
        note: z.string().max(500).optional(),
        /** Acknowledged for this long (default: until the alert resolves). */
        duration_s: z
          .number()
          .positive()
          .max(366 * 86400)
          .optional(),
        /** Acknowledged until then (default: until the alert resolves). */
        until: z.iso.datetime({ offset: true }).optional(),
      })
      .refine((r) => r.fingerprint || r.episode_id, {
        message: 'fingerprint or episode_id is required',
        path: ['episode_id'],
      })
      .refine((r) => r.duration_s === undefined || r.until === undefined, {
        message: 'give duration_s or until, not both',
        path: ['until'],
      }),
    result: z.object({ alert }),
  },
  /** Resolve by hand: only alerts of rules that cannot resolve on their own (rule `manual_resolve`), by an admin. */
  resolve: {
    request: caller
      .extend({
        fingerprint: z.string().optional(),
        episode_id: z.string().optional(),
        note: z.string().max(500).optional(),
      })
      .refine((r) => r.fingerprint || r.episode_id, {
        message: 'fingerprint or episode_id is required',
        path: ['episode_id'],
      }),
    result: z.object({ alert }),
  },
  silence: {
    request: caller.extend({
      matchers: z.array(matcher).min(1),
      duration_s: z
        .number()
        .positive()
        .max(366 * 86400)
        .optional(),
      ends_at: z.iso.datetime({ offset: true }).optional(),
      reason: z.string().max(500).default(''),
    }),
    result: z.object({ silence }),
  },
  expire_silence: { request: caller.extend({ id: z.string() }), result: z.object({ silence }) },
  silences: {
    request: z.object({ active: z.boolean().default(true) }),
    result: z.object({ silences: z.array(silence) }),
  },
  /** A maintenance window: alerts it matches are recorded, not notified; a summary is posted when it ends. */
  maintenance: {
    request: caller.extend({
      name: z.string().min(1).max(100).optional(),
      matchers: z.array(matcher).min(1),
      reason: z.string().max(500).default(''),
      origin: maintenanceOrigin.exclude(['config']).default('api'),
      ...maintenanceTimes.shape,
    }),
    result: z.object({ maintenance: maintenanceWindow }),
  },
  maintenances: {
    request: z.object({ active: z.boolean().default(true).describe('only windows not ended') }),
    result: z.object({ maintenances: z.array(maintenanceWindow) }),
  },
  end_maintenance: {
    request: caller.extend({ id: z.string() }),
    result: z.object({ maintenance: maintenanceWindow }),
  },
  alerts: {
    request: z.object({
      state: z.enum(['pending', 'firing', 'resolved']).optional(),
      source: z.string().optional(),
      chain_id: z.string().optional(),
      rule_id: z.string().optional(),
      since: z.iso.datetime({ offset: true }).optional().describe('alerts started at or after this time'),
      limit: z.number().int().min(1).max(500).default(50),
      include_suppressed: z
        .boolean()
        .default(false)
        .describe('also alerts outranked by another alert about the same object'),
    }),
    result: z.object({ alerts: z.array(alert) }),
  },
  alert: {
    request: z.object({ id: z.string().min(1).describe('episode id') }),
    result: z.object({ alert, timeline: z.array(timelineItem) }),
  },
  subscribe: {
    request: z.object({
      owner,
      kind: z.enum(['wallet', 'harmony_token']).default('wallet'),
      target: z.string().min(1),
      chain_id: z.string().min(1),
      threshold: z.number().nonnegative().nullable().default(null),
    }),
    result: z.object({ subscription, created: z.boolean() }),
  },
  unsubscribe: {
    request: caller.extend({
      kind: z.enum(['wallet', 'harmony_token']).default('wallet'),
      target: z.string().min(1),
      chain_id: z.string().optional(),
    }),
    result: z.object({ removed: z.number().int() }),
  },
  subscriptions: {
    request: z.object({
      owner: owner.optional(),
      kind: z.enum(['wallet', 'harmony_token']).optional(),
      chain_id: z.string().optional(),
    }),
    result: z.object({ subscriptions: z.array(subscription) }),
  },
  ...alertSubscriptionRpc,
  params: {
    request: z.object({}),
    result: z.object({
      params: z
        .record(z.string(), z.unknown())
        .describe(
          "the rule parameters in force: the default rules' merged with alerter.params (durations in seconds), " +
            'so a chat command shows the thresholds the rules use (e.g. ibc_expiry_warning_ratio)',
        ),
    }),
  },
} as const;

export const ibcClientSummary = z.object({
  chain_id: z.string(),
  client_id: z.string(),
  client_type: z.string(),
  counterparty_chain_id: z.string().nullable(),
  status: z.string(),
  trusting_period_s: z.number().nullable(),
  remaining_s: z.number().nullable(),
  elapsed_ratio: z.number().nullable(),
  last_update: z.string().nullable(),
});

export const walletSummary = z.object({
  chain_id: z.string(),
  address: z.string(),
  denom: z.string(),
  display_denom: z.string(),
  display_amount: z.number(),
  projected_empty_s: z.number().nullable(),
  observed_at: z.string(),
});

export const chainSummary = z.object({
  chain_id: z.string(),
  name: z.string(),
  denom: z.string(),
  display_denom: z.string(),
  exponent: z.number().int(),
});

export const cosmosIbcRpc = {
  chains: { request: z.object({}), result: z.object({ chains: z.array(chainSummary) }) },
  clients: {
    request: z.object({
      chain_id: z.string().optional(),
      status: z.string().optional(),
      limit: z.number().int().min(1).max(10_000).optional().describe('most urgent first (least time left)'),
    }),
    result: z.object({
      clients: z.array(ibcClientSummary),
      scanned_at: z.string().nullable(),
      total: z.number().int().optional().describe('matching clients before limit (and the reply size cap)'),
    }),
  },
  wallets: {
    request: z.object({ chain_id: z.string().optional(), owner: owner.optional() }),
    result: z.object({ wallets: z.array(walletSummary) }),
  },
  recheck: {
    request: z.object({ chain_id: z.string().optional(), client_id: z.string().optional() }),
    result: z.object({ rechecked: z.number().int() }),
  },
  wallet_history: {
    request: z.object({
      chain_id: z.string().min(1),
      address: z.string().min(1),
      since: z.iso.datetime({ offset: true }).optional().describe('default: the burn-rate window'),
    }),
    result: z.object({
      denom: z.string(),
      display_denom: z.string(),
      points: z
        .array(z.object({ t: z.iso.datetime({ offset: true }), amount: z.number() }))
        .describe('balance samples, oldest first, in display units'),
      projected_empty_at: z.iso.datetime({ offset: true }).nullable(),
    }),
  },
} as const;

export const icsConsumerSummary = z.object({
  consumer_id: z.string(),
  chain_id: z.string(),
  name: z.string(),
  phase: z.string(),
  spawn_time: z.string().nullable(),
  spawn_in_s: z.number().nullable().describe('seconds until spawn (negative once passed)'),
  opted_in: z.number().int().describe('how many validators opted in'),
  ours_opted_in: z
    .boolean()
    .nullable()
    .describe('null when no our_validator is configured (or it is not bonded)'),
  ours_key_assigned: z.boolean().nullable(),
});

/** `<prefix>.rpc.ics-ccv.<method>`. */
export const icsCcvRpc = {
  consumers: {
    request: z.object({ phase: z.string().optional() }),
    result: z.object({
      provider_chain_id: z.string(),
      available: z.boolean().describe('false: the chain has no ICS provider module'),
      height: z.number().int().nullable(),
      our_validator: z.string().nullable(),
      consumers: z.array(icsConsumerSummary),
    }),
  },
} as const;

const subspaceBlockRef = z.object({ height: z.number().int().nonnegative(), hash: z.string() });

export const subspaceNodeSummary = z.object({
  node: z.string().describe('URL with credentials masked'),
  primary: z.boolean(),
  connected: z.boolean(),
  best: subspaceBlockRef.nullable(),
  finalized: subspaceBlockRef.nullable(),
  peers: z.number().int().nullable(),
  off_best_chain: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const subspaceBlocksRpc = {
  status: {
    request: z.object({}),
    result: z.object({
      chain_id: z.string(),
      nodes: z.array(subspaceNodeSummary),
      best_tip: subspaceBlockRef.nullable(),
      finalized: subspaceBlockRef.nullable(),
      checked: subspaceBlockRef.nullable().describe('the last best-fork block checked'),
      forks: z.array(
        z.object({ tip: subspaceBlockRef, fork_point: subspaceBlockRef, length: z.number().int() }),
      ),
      tracked_blocks: z.number().int(),
      seconds_per_slot: z.number().nullable(),
      active_farmers: z.number().int().nullable(),
      farmers_window_average: z.number().nullable(),
    }),
  },
  series: {
    request: z.object({}),
    result: z.object({
      block_time: z
        .array(
          z.object({ t: z.iso.datetime({ offset: true }), height: z.number().int(), seconds: z.number() }),
        )
        .describe('seconds since the previous checked best-fork block, over the slot window'),
      slot_time: z
        .array(z.object({ t: z.iso.datetime({ offset: true }), seconds_per_slot: z.number() }))
        .describe('seconds per slot between consecutive checked blocks'),
    }),
  },
} as const;

/** One host of the caller, as `$harmony` shows it: the keys it holds and its mode at its last report. */
export const harmonyHostSummary = z.object({
  hostname: z.string(),
  validator_address: z.string().nullable(),
  token_id: z.string(),
  mode: z.string().nullable(),
  is_backup: z.boolean().nullable(),
  shard_id: z.number().int().nullable(),
  blskeys: z.array(z.string()),
  node_reachable: z.boolean(),
  last_report_at: z.string(),
  silent: z.boolean().describe('no report for the silence threshold (3 intervals)'),
});

export const harmonyTokenSummary = z.object({
  id: z.string(),
  owner,
  label: z.string(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});

/**
 * `<prefix>.rpc.harmony-signers.<method>`: `$harmony` and `$token` in chat, `tocsin harmony token` on the CLI,
 * `hosts` for the console.
 */
export const harmonySignersRpc = {
  signers: {
    request: z.object({ owner }),
    result: z.object({ hosts: z.array(harmonyHostSummary) }),
  },
  hosts: {
    request: z.object({}),
    result: z.object({
      hosts: z
        .array(harmonyHostSummary.extend({ owner }))
        .describe('every host of every owner (admin view: the console); chat keeps `signers`, per owner'),
      keys: z.array(z.string()).describe('every BLS key some host reported, sorted'),
    }),
  },
  token_new: {
    request: z.object({ owner, label: z.string().max(100).default('') }),
    result: z.object({
      token: z.string().describe('the bearer token, shown once: only its hash is stored'),
      summary: harmonyTokenSummary,
    }),
  },
  token_list: {
    request: z.object({ owner: owner.optional() }),
    result: z.object({ tokens: z.array(harmonyTokenSummary) }),
  },
  token_revoke: {
    request: z.object({ id: z.string().min(1), by: owner, is_admin: z.boolean().default(false) }),
    result: z.object({ summary: harmonyTokenSummary }),
  },
} as const;

/** Every service's RPC contract by service name (`<prefix>.rpc.<service>.<method>`), for typed callers. */
export const rpcContracts = {
  alerter: alerterRpc,
  'cosmos-ibc': cosmosIbcRpc,
  'ics-ccv': icsCcvRpc,
  'subspace-blocks': subspaceBlocksRpc,
  'harmony-signers': harmonySignersRpc,
} as const;
