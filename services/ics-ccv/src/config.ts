import { duration, positiveDuration, readSecretFile, redactUrl, registerSecret } from '@tocsin/runtime';
import { z } from 'zod';

const HTTP_URL = /^https?:\/\/\S+$/;

/** An RPC URL without trailing slashes; credentials in it are registered as secrets so logs never quote them. */
const rpcUrl = z
  .string()
  .regex(HTTP_URL, 'an http:// or https:// URL of a CometBFT RPC endpoint')
  .transform((u) => {
    const url = new URL(u);
    for (const v of [url.password, ...url.searchParams.values()]) if (v.length >= 8) registerSecret(v);
    if (redactUrl(u) !== u) registerSecret(u);
    return u.replace(/\/+$/, '');
  });

/**
 * The MsgOptIn key file: a BIP39 mnemonic of the validator operator's account, read when the config is loaded
 * with the secret permission check (refused when group/others can read it). Never logged.
 */
const keyFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    try {
      const mnemonic = readSecretFile(path).trim();
      if (mnemonic.split(/\s+/).length < 12) {
        ctx.addIssue({ code: 'custom', message: `${path} does not hold a mnemonic (12 or 24 words)` });
        return z.NEVER;
      }
      registerSecret(mnemonic);
      return { path, mnemonic };
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const optIn = z
  .strictObject({
    enabled: z.boolean().default(false).describe('submit MsgOptIn for our validator when it is selected'),
    dry_run: z.boolean().default(true).describe('only publish would_opt_in, never submit'),
    key_file: keyFile.optional().describe('secret file (chmod 600) with the operator account mnemonic'),
    address_prefix: z.string().min(1).default('cosmos'),
    gas_price: z
      .string()
      .regex(/^\d+(\.\d+)?[a-z][a-z0-9/]*$/i, 'an amount and a denom, e.g. 0.005uatom')
      .default('0.005uatom'),
  })
  .superRefine((o, ctx) => {
    if (o.enabled && !o.dry_run && !o.key_file)
      ctx.addIssue({
        code: 'custom',
        path: ['key_file'],
        message: 'submitting MsgOptIn (dry_run: false) needs key_file',
      });
  });

/** The `ics_ccv` config section. Durations accept "30s", "2m" or seconds. */
export const icsCcvConfig = z
  .strictObject({
    rpc: rpcUrl.optional().describe('CometBFT RPC of the provider chain; none = nothing to watch'),
    provider_chain_id: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('expected chain id (status node_info.network); defaults to what the node says'),
    our_validator: z
      .string()
      .regex(/^[a-z0-9]+valoper1[02-9ac-hj-np-z]+$/, 'a validator operator address (…valoper1…)')
      .optional()
      .describe('our validator operator address: selection, duties and opt-in are about it'),
    selection_threshold: z.number().gt(0).max(1).default(0.66),
    poll_interval: positiveDuration.default(30_000),
    /** Around spawn time: every spawn_poll_fast for spawn_fast_window, then spawn_poll_slow until spawn_slow_window. */
    spawn_poll_fast: positiveDuration.default(1_000),
    spawn_fast_window: duration.default(30_000),
    spawn_poll_slow: positiveDuration.default(5_000),
    spawn_slow_window: duration.default(120_000),
    reconnect_backoff: positiveDuration.default(1_000),
    reconnect_backoff_max: positiveDuration.default(30_000),
    request_timeout: positiveDuration.default(10_000),
    /** Poll and subscribe at start; false = only on demand (tests). */
    auto_start: z.boolean().default(true),
    /** Launched consumers whose own chain to check (blocks, CCV channel, valset), by consumer chain id. */
    consumers: z.array(z.strictObject({ chain_id: z.string().min(1).max(128), rpc: rpcUrl })).default([]),
    /** A consumer with no new block for this long is stalled. */
    stall_after: positiveDuration.default(120_000),
    /** A consumer launched this long ago without an open CCV channel is reported (ccv_channel_missing). */
    ccv_channel_within: positiveDuration.default(600_000),
    /**
     * A consumer whose validator set has differed this long from the one the provider last sent is reported
     * (valset_stale): the VSC packets are not relayed.
     */
    valset_stale_after: positiveDuration.default(600_000),
    /** Real ms without any websocket message (NewBlock comes every block) before reconnecting. */
    ws_idle_timeout: positiveDuration.default(60_000),
    opt_in: optIn.default({
      enabled: false,
      dry_run: true,
      address_prefix: 'cosmos',
      gas_price: '0.005uatom',
    }),
  })
  .superRefine((c, ctx) => {
    if (c.rpc && !c.provider_chain_id)
      ctx.addIssue({
        code: 'custom',
        path: ['provider_chain_id'],
        message: 'give the provider chain id with rpc',
      });
  });

export type IcsCcvConfig = z.output<typeof icsCcvConfig>;
