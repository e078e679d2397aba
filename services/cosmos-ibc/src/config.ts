import { duration, positiveDuration, readSecretFile, redactUrl, registerSecret } from '@tocsin/runtime';
import { z } from 'zod';

const HTTP_URL = /^https?:\/\/\S+$/;
const NOT_AN_RPC_URL = 'an http:// or https:// URL of a CometBFT RPC endpoint';

/**
 * An RPC URL as configured, without its trailing slashes. Its credentials (password, query values such as an API
 * key) are registered as secrets, so they are scrubbed from any log line that would quote them whole; where a
 * URL is shown on purpose (logs, events, chat) it is masked with `redactUrl` first.
 */
function rpcUrl(u: string): string {
  const url = new URL(u);
  const values = [url.password, ...url.searchParams.values()].flatMap((v) => [v, safeDecode(v)]);
  // Long values only: scrubbing a short word such as "true" would garble every log line that contains it.
  for (const v of values) if (v.length >= 8) registerSecret(v);
  if (redactUrl(u) !== u) registerSecret(u);
  return u.replace(/\/+$/, '');
}
function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

const httpUrl = z.string().regex(HTTP_URL, NOT_AN_RPC_URL).transform(rpcUrl);

/**
 * A secret file of RPC URLs (credentials in them), one per line in failover order; blank lines and `#` comments
 * are skipped. Read when the config is loaded, refused when group/others can read it; every problem is an issue of
 * this field, a line's content never quoted.
 */
const rpcFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let text: string;
    try {
      text = readSecretFile(path);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
    const urls: string[] = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const u = line.trim();
      if (!u || u.startsWith('#')) return;
      if (HTTP_URL.test(u)) urls.push(rpcUrl(u));
      else ctx.addIssue({ code: 'custom', message: `line ${i + 1} of ${path} is not ${NOT_AN_RPC_URL}` });
    });
    if (!urls.length) ctx.addIssue({ code: 'custom', message: `no RPC URL in ${path}` });
    return urls;
  });

const wallet = z.strictObject({
  address: z.string().min(1),
  labels: z.record(z.string(), z.string()).default({}),
});

const chain = z.strictObject({
  chain_id: z.string().min(1).max(128),
  name: z.string().min(1).optional().describe('display name; defaults to chain_id'),
  rpc: z
    .array(httpUrl)
    .min(1, 'at least one RPC endpoint')
    .optional()
    .describe('CometBFT RPC URLs in failover order'),
  rpc_file: rpcFile
    .optional()
    .describe('instead of rpc: a secret file (chmod 600) of RPC URLs with credentials, one per line'),
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

/** A chain as watched: its RPC URLs from `rpc` or from the lines of `rpc_file`, whichever was given. */
const watchedChain = chain
  .superRefine((c, ctx) => {
    if ((c.rpc === undefined) === (c.rpc_file === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['rpc'],
        message: 'give the RPC URLs in rpc or in rpc_file (one of them)',
      });
  })
  .transform(({ rpc, rpc_file, ...c }) => ({ ...c, rpc: rpc ?? rpc_file ?? [] }));

/** The `cosmos_ibc` config section. Durations accept "10m", "24h" or seconds. */
export const cosmosIbcConfig = z
  .strictObject({
    chains: z.array(watchedChain).default([]),
    /** HTTP requests open at once per endpoint: public RPCs must not be hammered. */
    max_concurrency_per_endpoint: z.number().int().min(1).max(256).default(8),
    /** JSON-RPC calls per HTTP request (CometBFT batch). */
    batch_size: z.number().int().min(1).max(500).default(20),
    /** Page size for the connections listing. */
    page_size: z.number().int().min(1).max(5000).default(100),
    request_timeout: positiveDuration.default(10_000),
    /**
     * Largest answer read from an endpoint, in bytes; a larger (or endless) body is aborted as it passes the cap
     * and reported as an endpoint_error of kind too_large.
     */
    max_response_bytes: z
      .number()
      .int()
      .min(65_536, 'at least 65536 (64 KiB): smaller caps refuse ordinary answers')
      .default(8 * 1024 * 1024),
    /** Retries per query on the same endpoint before failing over to the next one. */
    retries: z.number().int().min(0).max(10).default(2),
    /** First backoff between retries; doubles each time. */
    retry_backoff: duration.default(500),
    recheck_expired_interval: positiveDuration.default(86_400_000),
    /** How long wallet balance samples are kept (burn rate history). */
    wallet_history: positiveDuration.default(30 * 86_400_000),
    /** Window of history the burn rate is computed over. */
    burn_window: positiveDuration.default(86_400_000),
    /**
     * Events held in memory, in order, while NATS does not take them (down, restarting); beyond it the oldest are
     * dropped, counted and logged. About 1 KB each.
     */
    publish_buffer: z.number().int().min(10).default(20_000),
    /** Scan each chain at start and then every scan_interval; false = scans only on demand. */
    auto_scan: z.boolean().default(true),
    /** Wallet subscriptions are read from the alerter; how long to wait for its answer. */
    subscriptions_timeout: positiveDuration.default(3_000),
    /**
     * At start, how long the first scan waits for the alerter (started at the same time) to give the wallet
     * subscriptions before it goes on with the last known ones and warns.
     */
    subscriptions_startup_wait: duration.default(30_000),
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
