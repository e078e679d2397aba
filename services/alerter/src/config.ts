import { maintenanceTimes, owner } from '@tocsin/events';
import { duration, intervalOrOff, positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';
import { escalationPolicies } from './escalation/policy.ts';
import { maintenanceConfigProblems } from './maintenance/config.ts';

/** Where a heartbeat push goes: a URL (or a file holding it, since push URLs embed a token). */
const heartbeatTarget = z.union([
  z.string().url(),
  z
    .strictObject({
      url: z.string().url().optional(),
      url_file: z.string().optional(),
      method: z.enum(['GET', 'POST']).default('GET'),
    })
    .refine((t) => Boolean(t.url) !== Boolean(t.url_file), 'give exactly one of url and url_file'),
]);

/**
 * A maintenance window from the configuration (maintenance/config.ts checks its times): alerts its matchers select
 * are recorded, not notified, during its occurrences. Exactly one of `weekly`, `cron` + `duration`, or
 * `starts_at` + `ends_at`.
 */
export const maintenanceConfig = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, . _ -')
    .max(100),
  matchers: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        op: z.enum(['=', '!=', '=~', '!~']).default('='),
        value: z.string(),
      }),
    )
    .min(1),
  // The same weekly shape as the RPC's (one definition of days and times of day).
  weekly: maintenanceTimes.shape.weekly,
  cron: z.string().min(1).optional(),
  duration: positiveDuration.optional(),
  timezone: z.string().min(1).default('UTC'),
  starts_at: z.iso.datetime({ offset: true }).optional(),
  ends_at: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().max(500).default(''),
});

/** The `alerter:` section of the configuration. Durations accept "30s", "5m", "4h" or seconds. */
export const alerterConfig = z.strictObject({
  /** Rules merged over the shipped defaults: same id overrides a default, `enabled: false` disables one. */
  rules: z.array(z.unknown()).default([]),
  /** YAML files, each `rules: [...]` (and optionally `params:`), merged in order after `rules`. */
  rules_files: z.array(z.string()).default([]),
  /** Values the rules read as `params.<name>` (thresholds of the default rules live here). */
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).default({}),
  /**
   * Correlation rules (one incident for alerts that share a cause), merged over the shipped ones by id like
   * `rules`; see src/incidents/incidents.ts and the README.
   */
  incidents: z.array(z.unknown()).default([]),
  defaults: z
    .strictObject({
      group_by: z.array(z.string()).default(['rule', 'chain_id']),
      group_wait: duration.default(30_000),
      group_interval: duration.default(300_000),
      repeat_interval: z
        .strictObject({
          info: duration.default(0),
          warning: duration.default(4 * 3_600_000),
          critical: duration.default(3_600_000),
        })
        .prefault({}),
      /**
       * The old one-step escalation, kept: a rule with no `escalation_policies` match climbs the ladder
       * `[{wait: after}, {notify: mentions}]` when its severity is listed here.
       */
      escalation: z
        .strictObject({
          /** Severities that escalate when nobody acknowledges them. */
          severities: z.array(z.enum(['info', 'warning', 'critical'])).default(['critical']),
          after: duration.default(30 * 60_000),
          mentions: z.array(owner).default([]),
        })
        .prefault({}),
      /** How long an alert that is about an on-chain object waits for a higher-priority alert on it. */
      priority_wait: duration.default(2_000),
    })
    .prefault({}),
  /**
   * Escalation ladders (OnCall's vocabulary): the first policy whose `severity` and `matchers` fit an alert is the
   * ladder it climbs once notified, until acknowledged or resolved. See the README.
   */
  escalation_policies: escalationPolicies.default([]),
  consumer: z
    .strictObject({
      durable: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('alerter'),
      /** Messages pulled and handled together in one transaction. */
      batch: z.number().int().min(1).max(10_000).default(1000),
      ack_wait: positiveDuration.default(30_000),
      max_ack_pending: z.number().int().min(1).default(20_000),
    })
    .prefault({}),
  /**
   * An event stamped further than this after it was received is dead-lettered; within it, it counts as observed
   * when it was received.
   */
  max_future_skew: positiveDuration.default(30_000),
  /** How often timers (for, absence, group flushes, repeats, escalation, silence expiry) are evaluated; 0 = only on tick() (tests). */
  tick_interval: intervalOrOff.default(1_000),
  /** A replica that committed a notification but died before publishing it: another publishes it after this. */
  outbox_lease: positiveDuration.default(10_000),
  /**
   * An alert's condition state is forgotten once it has been ok this long since its last fact (a new fact starts it
   * afresh), so rules keyed by something unbounded (a block, a transfer) do not grow the state and every replica's
   * memory forever; 0 keeps it. Not the history: episodes and their timelines are kept.
   */
  state_retention: duration.default(7 * 86_400_000),
  /** Maintenance windows kept in the configuration (others are created over RPC and chat). */
  maintenance: z
    .array(maintenanceConfig)
    .default([])
    .superRefine((list, ctx) => {
      for (const { path, message } of maintenanceConfigProblems(list))
        ctx.addIssue({ code: 'custom', path, message });
    }),
  /** Dead-man switch: pushed every `heartbeat_push_interval` (0 = never) while the pipeline is healthy. */
  heartbeat_urls: z.array(heartbeatTarget).default([]),
  heartbeat_push_interval: intervalOrOff.default(60_000),
});
export type AlerterConfig = z.output<typeof alerterConfig>;
export type RuleDefaults = AlerterConfig['defaults'];

/**
 * What the alerter refuses at start beyond its section's schema (`tocsin rules check` asks the same): a
 * notification re-sent after a lease ran out is dropped by the stream only within its duplicate window.
 */
export function startProblems(cfg: Pick<AlerterConfig, 'outbox_lease'>, duplicateWindowMs: number): string[] {
  return cfg.outbox_lease * 2 > duplicateWindowMs
    ? [`alerter.outbox_lease: must be at most half of nats.duplicate_window (${duplicateWindowMs / 1000} s)`]
    : [];
}
