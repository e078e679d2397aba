import { matcher, owner, severity } from '@tocsin/events';
import { duration } from '@tocsin/runtime';
import { z } from 'zod';

/** The YAML shape of one rule. Unknown keys are errors, so a misspelt option never passes unnoticed. */
/**
 * A duration, or `params.<name>` naming an alerter param that holds one (resolved when the rules are compiled, so a
 * deployment can change it under `alerter.params` like any threshold).
 */
export const paramRef = z.string().regex(/^params\.[a-z_][a-z0-9_]*$/);
export const durationOrParam = z.union([paramRef, duration]);
export type DurationOrParam = z.output<typeof durationOrParam>;

const subscriptionRef = z.strictObject({
  kind: z.enum(['wallet', 'harmony_token']).default('wallet'),
  /** Expression giving the subscription target, e.g. `address`. */
  target: z.string().min(1),
});

export const conditionInput = z
  .strictObject({
    /** A boolean expression: the alert is active while it holds. */
    threshold: z.string().optional(),
    /** A value's band: active while in a band other than `ok`; without bands, every change is a notice. */
    state_change: z
      .strictObject({
        value: z.string().min(1),
        bands: z.array(z.strictObject({ name: z.string().min(1), when: z.string().min(1) })).default([]),
        ok: z.string().default('ok'),
      })
      .optional(),
    /**
     * No matching event for the alert's fingerprint (e.g. per instance) during `after` → firing. `ends_when`: a
     * boolean expression on a matching event that ends the watch (a clean goodbye, e.g. `stopping`) until the
     * fingerprint is heard from again.
     */
    absence: z
      .strictObject({
        after: durationOrParam,
        forget_after: duration.default(7 * 86_400_000),
        ends_when: z.string().min(1).optional(),
      })
      .optional(),
    /** At least `min` matching events (or `per_second` on average) within `window` → firing. */
    count: z
      .strictObject({
        window: duration,
        min: z.number().int().positive().optional(),
        per_second: z.number().positive().optional(),
        where: z.string().optional(),
      })
      .refine(
        (c) => (c.min === undefined) !== (c.per_second === undefined),
        'give exactly one of min and per_second',
      )
      .optional(),
  })
  .refine((c) => Object.values(c).filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one condition kind: threshold, state_change, absence or count',
  });

export const ruleInput = z
  .strictObject({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_.-]*$/,
        'lowercase letters, digits, ".", "_" and "-", starting with a letter or digit',
      ),
    enabled: z.boolean().default(true),
    /** `alert` has a lifecycle (pending → firing → resolved); `notice` is a one-shot message per event. */
    mode: z.enum(['alert', 'notice']).default('alert'),
    match: z.strictObject({
      source: z.string().min(1),
      type: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      /** Matchers on event fields: name is a field (`chain_id`, `client_type`, `data.x`), op = != =~ !~. */
      where: z.array(matcher).default([]),
    }),
    condition: conditionInput.optional(),
    /** The measured value shown in the alert (and used by `steps`). */
    value: z.string().optional(),
    for: duration.default(0),
    severity,
    labels: z
      .record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'label names are snake_case'), z.string())
      .default({}),
    /** Label names that identify an alert; default: chain_id and every label of the rule. */
    fingerprint: z.array(z.string()).optional(),
    summary: z.string().min(1),
    description: z.string().default(''),
    links: z.array(z.strictObject({ title: z.string(), url: z.string() })).default([]),
    mentions: z.array(owner).default([]),
    /** Tag the owners of matching subscriptions. */
    mention_subscribers: subscriptionRef.optional(),
    /** One alert per subscriber (tagging them): subscriptions in the alerter and/or a list in the event. */
    for_each: z
      .strictObject({
        subscriptions: subscriptionRef.optional(),
        /** Expression giving a list of {owner, threshold, …} in the event, e.g. `subscribers`. */
        items: z.string().optional(),
        as: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/)
          .default('sub'),
      })
      .refine((f) => f.subscriptions || f.items, 'give subscriptions, items or both')
      .optional(),
    /** Several rules about one on-chain object notify once, as the highest rank. */
    priority: z.strictObject({ object: z.string().min(1), rank: z.number().int() }).optional(),
    /** While firing, notify again each time `value` reaches a new multiple of `every`. */
    steps: z.strictObject({ every: z.number().positive() }).optional(),
    group_by: z.array(z.string()).optional(),
    group_wait: duration.optional(),
    group_interval: duration.optional(),
    /** 0 = never repeat. */
    repeat_interval: duration.optional(),
    send_resolved: z.boolean().default(true),
    /** Resolve when no event has confirmed the alert for this long. */
    resolve_after: durationOrParam.optional(),
    /**
     * The alert may be resolved by hand (the chats' Resolve button, RPC `resolve`): for notice-like alerts whose
     * condition never clears on its own (one fact per fingerprint). Default: true for `threshold: "true"`.
     */
    manual_resolve: z.boolean().optional(),
    /**
     * Events that withdraw the fact behind an alert (e.g. `retracted`: its block left the best chain). The rule's
     * labels rendered on such an event give the fingerprint of the alert it withdraws; that alert ends as retracted
     * and chats edit its message. `reason` (a template on the withdrawing event) is shown on the message.
     */
    retracted_by: z
      .strictObject({
        type: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        where: z.string().min(1).optional(),
        reason: z.string().min(1).default('the fact behind it no longer holds'),
      })
      .optional(),
    /**
     * Flap suppression: an alert that changes (fires or resolves) more than `max_transitions` times within `window`
     * is held as flapping: one message, edited as it flips, until it has been stable for `window`.
     */
    flap: z.strictObject({ window: duration, max_transitions: z.number().int().positive() }).optional(),
    escalate: z
      .union([z.literal(false), z.strictObject({ after: duration, mentions: z.array(owner).default([]) })])
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.mode === 'alert' && !r.condition)
      ctx.addIssue({ code: 'custom', path: ['condition'], message: 'an alert rule needs a condition' });
    if (r.mode === 'notice' && r.condition && !r.condition.threshold)
      ctx.addIssue({
        code: 'custom',
        path: ['condition'],
        message: 'a notice rule takes at most a threshold (when to send it)',
      });
    if (r.retracted_by && r.mode !== 'alert')
      ctx.addIssue({
        code: 'custom',
        path: ['retracted_by'],
        message: 'only an alert rule can be retracted',
      });
    if (r.manual_resolve && r.mode !== 'alert')
      ctx.addIssue({
        code: 'custom',
        path: ['manual_resolve'],
        message: 'a notice is over once sent: only an alert rule can be resolved by hand',
      });
    if (r.flap && r.mode !== 'alert')
      ctx.addIssue({ code: 'custom', path: ['flap'], message: 'only an alert rule can flap' });
    if (r.flap && r.flap.window <= 0)
      ctx.addIssue({ code: 'custom', path: ['flap', 'window'], message: 'must be positive' });
    if (r.steps && !r.value)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'steps need a `value` expression' });
  });
export type RuleInput = z.output<typeof ruleInput>;
