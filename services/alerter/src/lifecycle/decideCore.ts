import { applyFlap, type FlapConfig } from '../flap/flap.ts';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import { type AlertVars, newEpisode } from './episode.ts';
import type { Effect, Instance, Plan, StateRow } from './types.ts';

/**
 * The lifecycle as a pure function: (facts or the time, current state) → new state rows and effects. Nothing here
 * does I/O; the batch and timer stages run it under the alerter's lock and write what it returns.
 */
export interface DecideContext {
  now: number;
  get(fingerprint: string): StateRow | undefined;
  subscriptions: SubscriptionIndex;
  /** Flap suppression: a rule's `flap` settings (none given: nothing flaps). */
  flapOf?: (ruleId: string) => FlapConfig | null;
  /**
   * False when no rule has flap settings: a decision then has nothing to suppress, and is not walked for it (the
   * timers still settle what flapped under earlier settings, through flapOf).
   */
  anyFlap?: boolean;
}

export function isStale(row: StateRow | undefined, inst: Instance): boolean {
  if (!row) return false;
  return inst.factAt < row.fact_at || (inst.factAt === row.fact_at && inst.event.id <= row.fact_id);
}

export function stepOf(rule: CompiledRule, value: number | null): number | null {
  if (!rule.steps || value === null) return null;
  return Math.floor(value / rule.steps.every);
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function countIn(buckets: Record<string, number>, from: number): number {
  let n = 0;
  for (const [k, v] of Object.entries(buckets)) if (Number(k) >= from) n += v;
  return n;
}

/** The state and effects a decision builds, and the moves every kind of rule makes: open and close an episode. */
export abstract class DeciderBase {
  readonly rows = new Map<string, StateRow>();
  readonly effects: Effect[] = [];
  #flapped = false;
  constructor(protected readonly cx: DecideContext) {}

  get(fp: string): StateRow | undefined {
    return this.rows.get(fp) ?? this.cx.get(fp);
  }
  protected set(row: StateRow): void {
    this.rows.set(row.fingerprint, row);
  }
  /** The decision; flap suppression (flap/flap.ts) is applied to it once, when it is taken. */
  plan(): Plan {
    const plan = { rows: this.rows, effects: this.effects };
    if (this.cx.flapOf && this.cx.anyFlap !== false && !this.#flapped) {
      this.#flapped = true;
      applyFlap(plan, { now: this.cx.now, before: (fp) => this.cx.get(fp), flapOf: this.cx.flapOf });
    }
    return plan;
  }

  protected base(
    fp: string,
    rule: CompiledRule,
    row: StateRow | undefined,
    labels: Record<string, string>,
  ): StateRow {
    return (
      row ?? {
        fingerprint: fp,
        rule_id: rule.id,
        status: 'ok',
        episode_id: null,
        since: null,
        band: null,
        last_value: null,
        step: null,
        fact_at: 0,
        fact_id: '',
        seen_at: null,
        buckets: null,
        labels,
        subscription_id: null,
      }
    );
  }

  protected open(
    inst: Pick<Instance, 'rule' | 'fingerprint' | 'labels' | 'scope' | 'owners' | 'subscriptionId'>,
    row: StateRow,
    at: number,
    vars: AlertVars,
    eventId: string | null,
    fact?: { at: number; id: string },
  ): void {
    const { rule } = inst;
    const firing = rule.forMs === 0 || this.cx.now >= at + rule.forMs;
    const ep = newEpisode(rule, inst.labels, inst.scope, {
      state: firing ? 'firing' : 'pending',
      at,
      vars,
      eventId,
      owners: inst.owners,
      subscriptions: this.cx.subscriptions,
    });
    ep.fingerprint = inst.fingerprint;
    this.effects.push({ kind: 'open', episode: ep });
    this.set({
      ...row,
      labels: inst.labels,
      subscription_id: inst.subscriptionId,
      status: firing ? 'firing' : 'pending',
      episode_id: ep.episode_id,
      since: at,
      step: stepOf(rule, vars.value),
      seen_at: at,
      ...(fact ? { fact_at: fact.at, fact_id: fact.id } : {}),
    });
  }

  /** Leaves pending/firing: resolve a firing episode, clear a pending one. */
  protected close(
    row: StateRow,
    at: number,
    value: number | null,
    eventId: string | null,
    reason: string,
  ): void {
    if (!row.episode_id) return;
    if (row.status === 'firing')
      this.effects.push({
        kind: 'resolve',
        episode_id: row.episode_id,
        at,
        value,
        event_id: eventId,
        reason,
      });
    else if (row.status === 'pending')
      this.effects.push({ kind: 'clear', episode_id: row.episode_id, at, event_id: eventId });
  }
}
