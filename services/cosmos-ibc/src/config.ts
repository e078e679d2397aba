import { duration, positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

const httpUrl = z
  .string()
  .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL of a CometBFT RPC endpoint')
  .transform((u) => u.replace(/\/+$/, ''));

const wallet = z.strictObject({
  address: z.string().min(1),
  labels: z.record(z.string(), z.string()).default({}),
});

const chain = z.strictObject({
  chain_id: z.string().min(1).max(128),
  name: z.string().min(1).optional().describe('display name; defaults to chain_id'),
  rpc: z.array(httpUrl).min(1, 'at least one RPC endpoint').describe('CometBFT RPC URLs in failover order'),
  denom: z.string().min(1).describe('base denom, e.g. uatom'),
  display_denom: z.string().min(1).describe('display denom, e.g. ATOM'),
  exponent: z.number().int().min(0).max(18).default(6).describe('1 display unit = 10^exponent base units'),
  connections: z
    .array(z.string().min(1))
    .default([])
    .describe('connection ids whose clients to check; [] = every open connection'),
  scan_interval: positiveDuration.default(600_000),
  wallets: z.array(wallet).default([]),
});

/** The `cosmos_ibc` config section. Durations accept "10m", "24h" or seconds. */
export const cosmosIbcConfig = z
  .strictObject({
    chains: z.array(chain).default([]),
    /** HTTP requests open at once per endpoint: public RPCs must not be hammered. */
    max_concurrency_per_endpoint: z.number().int().min(1).max(256).default(8),
    /** JSON-RPC calls per HTTP request (CometBFT batch). */
    batch_size: z.number().int().min(1).max(500).default(20),
    /** Page size for the connections listing. */
    page_size: z.number().int().min(1).max(5000).default(100),
    request_timeout: positiveDuration.default(10_000),
    /** Retries per query on the same endpoint before failing over to the next one. */
    retries: z.number().int().min(0).max(10).default(2),
    /** First backoff between retries; doubles each time. */
    retry_backoff: duration.default(500),
    recheck_expired_interval: positiveDuration.default(86_400_000),
    /** How long wallet balance samples are kept (burn rate history). */
    wallet_history: positiveDuration.default(30 * 86_400_000),
    /** Window of history the burn rate is computed over. */
    burn_window: positiveDuration.default(86_400_000),
    /** Scan each chain at start and then every scan_interval; false = scans only on demand. */
    auto_scan: z.boolean().default(true),
    /** Wallet subscriptions are read from the alerter; how long to wait for its answer. */
    subscriptions_timeout: positiveDuration.default(3_000),
    /** Log progress of scans with at least this many clients. */
    progress_min_clients: z.number().int().min(1).default(500),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.chains.forEach((c, i) => {
      if (seen.has(c.chain_id))
        ctx.addIssue({
          code: 'custom',
          path: ['chains', i, 'chain_id'],
          message: `duplicate chain "${c.chain_id}"`,
        });
      seen.add(c.chain_id);
    });
  });

export type CosmosIbcConfig = z.output<typeof cosmosIbcConfig>;
export type ChainConfig = CosmosIbcConfig['chains'][number];
export type WalletConfig = ChainConfig['wallets'][number];
