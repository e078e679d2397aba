import { owner } from '@tocsin/events';
import { duration, intervalOrOff, positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

/** A token provisioned by configuration (the demo, infrastructure as code): only its SHA-256 is given. */
const configuredToken = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "_" and "-"'),
  owner,
  label: z.string().max(100).default(''),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the token (sha256sum of the token file)'),
});

/** The `harmony_signers:` section. Durations accept "30s", "5m" or seconds. */
export const harmonySignersConfig = z.strictObject({
  /** A report counts towards "signing now" for this long after the agent read its node. */
  freshness_window: positiveDuration.default(60_000),
  /** An agent silent for this many of its intervals → agent_silent. */
  silent_intervals: z.number().int().min(2).max(100).default(3),
  /** How often silent agents are looked for; 0 = only when `sweep()` is called (tests). */
  sweep_interval: intervalOrOff.default(5_000),
  /** Largest report body accepted (bytes); bigger ones get 413. */
  body_limit: z.number().int().min(1_024).max(10_485_760).default(65_536),
  /** Reports per token per window (`@fastify/rate-limit`); more get 429 with Retry-After. */
  rate_limit: z
    .strictObject({
      max: z.number().int().positive().default(120),
      window: positiveDuration.default(60_000),
    })
    .prefault({}),
  /**
   * Reports arriving together are recorded and published in one transaction: a batch closes at `batch_max`
   * reports or `batch_wait` after its first one; at most `parallel` batches at once (each holds a pool connection).
   */
  intake: z
    .strictObject({
      batch_max: z.number().int().min(1).max(5_000).default(500),
      batch_wait: duration.refine((ms) => ms <= 1_000, { message: 'must be at most 1s' }).default(2),
      parallel: z.number().int().min(1).max(64).default(2),
    })
    .prefault({}),
  /** A validated token is remembered this long (a revocation takes effect within it; 0 = always ask PostgreSQL). */
  token_cache_ttl: duration.default(5_000),
  /** Reports (and their nonces, which refuse replays) are kept this long; older reports are refused. */
  history_retention: positiveDuration.default(30 * 86_400_000),
  tokens: z.array(configuredToken).default([]),
});
export type HarmonySignersConfig = z.output<typeof harmonySignersConfig>;
