import { duration, positiveDuration, redactUrl, registerSecret } from '@tocsin/runtime';
import { z } from 'zod';
import { accountKey } from './activity.ts';

const WS_URL = /^wss?:\/\/\S+$/;

/** A node URL as configured; credentials in it are registered as secrets and masked wherever it is shown. */
function nodeUrl(u: string, ctx: z.RefinementCtx<string>): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
    return z.NEVER;
  }
  for (const v of [url.password, ...url.searchParams.values()]) if (v.length >= 8) registerSecret(v);
  if (redactUrl(u) !== u) registerSecret(u);
  return u;
}

const address = z.strictObject({
  address: z
    .string()
    .min(1)
    .refine((a) => accountKey(a) !== null, 'not an SS58 address')
    .describe('SS58 address (any prefix)'),
  label: z.string().min(1).max(120),
  /** A balance below this many AI3 is alerted (rule subspace-balance-low); null = no threshold. */
  threshold: z.number().nonnegative().nullable().default(null),
});

/** The `subspace_blocks` config section. Durations accept "10m", "24h", "500ms" or seconds. */
export const subspaceBlocksConfig = z
  .strictObject({
    /** The chain these nodes serve, as events name it (envelope chain_id). */
    chain_id: z.string().min(1).max(128).default('autonomys-mainnet'),
    /** WebSocket RPC URLs of the nodes; the first is the primary (its best block is the best block). */
    nodes: z
      .array(z.string().regex(WS_URL, 'a ws:// or wss:// URL of a Substrate node').transform(nodeUrl))
      .default([]),
    important_addresses: z.array(address).default([]),
    /** Token decimals (AI3 = 18). */
    decimals: z.number().int().min(0).max(30).default(18),
    token_symbol: z.string().min(1).default('AI3'),
    /** Explorer base URL for links; `{kind}` pages are <url>/extrinsic/<id>, <url>/block/<height>. */
    explorer_url: z.url().nullable().default('https://autonomys.subscan.io'),
    /** Parents fetched at most below an announced block; beyond it the block starts a disconnected fork. */
    max_gap: z.number().int().min(1).max(100_000).default(1000),
    /** At the very first start (no saved state): blocks below the current best block to check as well. */
    backfill_blocks: z.number().int().min(0).max(100_000).default(0),
    /** Blocks of fork state kept (the lowest pruned, below finalized first). */
    max_blocks: z.number().int().min(10).max(100_000).default(1000),
    /** Important-address balances are read every this many checked blocks. */
    balance_every_blocks: z.number().int().min(1).default(10),
    balance_history: positiveDuration.default(30 * 86_400_000),
    burn_window: positiveDuration.default(86_400_000),
    /** Slot time window (blocks) and farmer windows, as in the original alerter. */
    slot_window: z.number().int().min(2).default(100),
    farmer_inactive_blocks: z.number().int().min(1).default(100),
    farmer_history_blocks: z.number().int().min(1).default(1000),
    /** A block whose chain time is this far past its parent's gives a chain_time_gap event. */
    chain_time_gap_min: duration.default(30_000),
    /** Resubscribe when no block has arrived from a node for this long (watchdog). */
    watchdog: positiveDuration.default(10 * 60_000),
    reconnect_min: positiveDuration.default(500),
    reconnect_max: positiveDuration.default(10_000),
    request_timeout: positiveDuration.default(30_000),
    /** node_status is sent on every change of connection and at least this often. */
    status_interval: positiveDuration.default(60_000),
    /** Real timers on (watchdog, status); tests drive `tick()` with an injected clock instead. */
    timers: z.boolean().default(true),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.nodes.forEach((n, i) => {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', path: ['nodes', i], message: 'duplicate node URL' });
      seen.add(n);
    });
    if (cfg.reconnect_max < cfg.reconnect_min)
      ctx.addIssue({ code: 'custom', path: ['reconnect_max'], message: 'must be at least reconnect_min' });
  });

export type SubspaceBlocksConfig = z.output<typeof subspaceBlocksConfig>;
export type ImportantAddress = SubspaceBlocksConfig['important_addresses'][number];
