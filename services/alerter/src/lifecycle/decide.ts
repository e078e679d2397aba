import { type EventEnvelope, newId } from '@tocsin/events';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { Scope } from '../rules/scope.ts';
import type { SubscriptionIndex } from '../subscriptions/subscriptionIndex.ts';
import type { RuleIndex } from './evaluate.ts';
import { groupKeyOf } from './fingerprint.ts';
import type { Effect, Instance, NewEpisode, Plan, Presence, StateRow } from './types.ts';

/**
 * The lifecycle as a pure function: (facts or the time, current state) → new state rows and effects. Nothing here
 * does I/O; the batch and timer stages run it under the alerter's lock and write what it returns.
 */
export interface DecideContext {
  now: number;
  get(fingerprint: string): StateRow | undefined;
  subscriptions: SubscriptionIndex;
}

interface AlertVars {
  value: number | null;
  band?: string | null;
  previous?: unknown;
}

/** Builds an episode: renders the templates with the alert's labels and value in scope. */
export function newEpisode(
  rule: CompiledRule,
  labels: Record<string, string>,
  scope: Scope,
  opts: {
    state: NewEpisode['state'];
    at: number;
    vars: AlertVars;
    eventId: string | null;
    owners: string[];
    subscriptions: SubscriptionIndex;
  },
): NewEpisode {
  const epLabels = opts.vars.band ? { ...labels, band: opts.vars.band } : labels;
  const s: Scope = {
    ...scope,
    vars: { ...scope.vars, labels: epLabels, alert: opts.vars },
    activation: undefined,
  };
  const groupLabels: Record<string, string> = {};
  if (rule.groupBy.includes('...')) Object.assign(groupLabels, labels);
  else for (const g of rule.groupBy) groupLabels[g] = labels[g] ?? '';
  const mentions = new Set([...rule.mentions, ...opts.owners]);
  if (rule.mentionSubscribers) {
    const target = rule.mentionSubscribers.target(s);
    if (target !== null && target !== undefined)
      for (const sub of opts.subscriptions.find(
        rule.mentionSubscribers.kind,
        labels.chain_id ?? '-',
        String(target),
      ))
        mentions.add(sub.owner);
  }
  const object = rule.priority ? rule.priority.object(s) : null;
  const ep: NewEpisode = {
    episode_id: newId(opts.at),
    fingerprint: '',
    rule_id: rule.id,
    mode: rule.mode,
    state: opts.state,
    severity: rule.severity,
    source: rule.source,
    chain_id: labels.chain_id ?? '-',
    labels: epLabels,
    summary: rule.summary.render(s),
    description: rule.description.render(s),
    value: opts.vars.value,
    started_at: opts.at,
    fired_at: opts.state === 'firing' ? opts.at : null,
    resolved_at: opts.state === 'resolved' ? opts.at : null,
    event_id: opts.eventId,
    mentions: [...mentions],
    links: rule.links
      .map((l) => ({ title: l.title.render(s), url: l.url.render(s) }))
      .filter((l) => l.url !== ''),
    group_key: groupKeyOf(rule.source, groupLabels),
    group_labels: groupLabels,
    group_wait_ms: rule.groupWaitMs,
    group_interval_ms: rule.groupIntervalMs,
    object_key: object === null || object === undefined || object === '' ? null : String(object),
    priority: rule.priority?.rank ?? null,
    send_resolved: rule.sendResolved,
    repeat_interval_ms: rule.repeatIntervalMs,
    escalate_after_ms: rule.escalation?.afterMs ?? null,
    escalation_mentions: rule.escalation?.mentions ?? [],
  };
  return ep;
}

function isStale(row: StateRow | undefined, inst: Instance): boolean {
  if (!row) return false;
  return inst.factAt < row.fact_at || (inst.factAt === row.fact_at && inst.event.id <= row.fact_id);
}

function stepOf(rule: CompiledRule, value: number | null): number | null {
  if (!rule.steps || value === null) return null;
  return Math.floor(value / rule.steps.every);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function countIn(buckets: Record<string, number>, from: number): number {
  let n = 0;
  for (const [k, v] of Object.entries(buckets)) if (Number(k) >= from) n += v;
  return n;
}

export class Decider {
  readonly rows = new Map<string, StateRow>();
  readonly effects: Effect[] = [];
  constructor(private readonly cx: DecideContext) {}

  get(fp: string): StateRow | undefined {
    return this.rows.get(fp) ?? this.cx.get(fp);
  }
  private set(row: StateRow): void {
    this.rows.set(row.fingerprint, row);
  }
  plan(): Plan {
    return { rows: this.rows, effects: this.effects };
  }

  private base(
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

  private open(
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
  private close(
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

  /** threshold and count: the condition holds (active) or not for this fact. */
  private verdict(inst: Instance, active: boolean, row: StateRow, changed: boolean): void {
    const { rule } = inst;
    const fact = { at: inst.factAt, id: inst.event.id };
    if (row.status === 'ok') {
      if (active) this.open(inst, row, inst.factAt, { value: inst.value }, inst.event.id, fact);
      else if (changed) this.set(row);
      return;
    }
    if (row.status === 'pending') {
      if (!active) {
        this.close(row, inst.factAt, inst.value, inst.event.id, 'condition cleared');
        this.set({ ...row, status: 'ok', since: null, fact_at: fact.at, fact_id: fact.id });
      } else if (row.since !== null && this.cx.now >= row.since + rule.forMs) {
        this.effects.push({
          kind: 'fire',
          episode_id: row.episode_id!,
          at: this.cx.now,
          value: inst.value,
          event_id: inst.event.id,
        });
        this.set({ ...row, status: 'firing', fact_at: fact.at, fact_id: fact.id });
      } else if (changed) this.set(row);
      return;
    }
    // firing
    if (!active) {
      this.close(row, inst.factAt, inst.value, inst.event.id, 'condition cleared');
      this.set({ ...row, status: 'ok', since: null, fact_at: fact.at, fact_id: fact.id });
      return;
    }
    let next = row;
    const step = stepOf(rule, inst.value);
    if (step !== null && step > (row.step ?? Number.NEGATIVE_INFINITY)) {
      this.effects.push({
        kind: 'step',
        episode_id: row.episode_id!,
        at: inst.factAt,
        value: inst.value!,
        step,
        event_id: inst.event.id,
      });
      next = { ...next, step, fact_at: fact.at, fact_id: fact.id };
    }
    if (rule.resolveAfterMs !== null && inst.factAt - (row.seen_at ?? 0) > rule.resolveAfterMs / 10)
      next = { ...next, seen_at: inst.factAt };
    if (next !== row || changed) this.set(next);
  }

  /** Applies one fact. */
  event(inst: Instance): void {
    const { rule } = inst;
    switch (rule.kind) {
      case 'notice': {
        const ep = newEpisode(rule, inst.labels, inst.scope, {
          state: 'resolved',
          at: inst.factAt,
          vars: { value: inst.value },
          eventId: inst.event.id,
          owners: inst.owners,
          subscriptions: this.cx.subscriptions,
        });
        ep.fingerprint = inst.fingerprint;
        this.effects.push({ kind: 'notice', episode: ep });
        return;
      }
      case 'absence': {
        const row = this.get(inst.fingerprint);
        if (row?.status === 'firing') {
          this.close(
            row,
            this.cx.now,
            null,
            inst.event.id,
            inst.active ? 'events resumed' : 'stopped cleanly',
          );
          this.set({ ...row, status: 'ok', since: null, fact_at: inst.factAt, fact_id: inst.event.id });
        }
        return;
      }
      case 'count': {
        const row0 = this.get(inst.fingerprint);
        const c = rule.count!;
        const buckets = { ...(row0?.buckets ?? {}) };
        const b = Math.floor(inst.factAt / c.bucketMs) * c.bucketMs;
        const from = this.cx.now - c.windowMs;
        if (b + c.bucketMs > from) buckets[b] = (buckets[b] ?? 0) + 1;
        for (const k of Object.keys(buckets)) if (Number(k) + c.bucketMs <= from) delete buckets[k];
        const n = countIn(buckets, from - c.bucketMs + 1);
        const row = { ...this.base(inst.fingerprint, rule, row0, inst.labels), buckets };
        this.verdict({ ...inst, value: n }, n >= c.min, row, true);
        return;
      }
      case 'threshold': {
        const row = this.get(inst.fingerprint);
        if (isStale(row, inst)) return;
        this.verdict(
          inst,
          inst.active,
          row ?? this.base(inst.fingerprint, rule, undefined, inst.labels),
          false,
        );
        return;
      }
      case 'state_change':
        this.stateChange(inst);
        return;
    }
  }

  private stateChange(inst: Instance): void {
    const { rule } = inst;
    const row0 = this.get(inst.fingerprint);
    if (isStale(row0, inst)) return;
    const row = row0 ?? this.base(inst.fingerprint, rule, undefined, inst.labels);
    const fact = { fact_at: inst.factAt, fact_id: inst.event.id };
    if (rule.bands.length === 0) {
      // A discrete value: every change is a notice (the first observation only sets the baseline).
      if (!row0) {
        this.set({ ...row, last_value: inst.changeValue ?? null, ...fact });
        return;
      }
      if (sameValue(row0.last_value, inst.changeValue)) return;
      const ep = newEpisode(rule, inst.labels, inst.scope, {
        state: 'resolved',
        at: inst.factAt,
        vars: { value: inst.value, previous: row0.last_value },
        eventId: inst.event.id,
        owners: inst.owners,
        subscriptions: this.cx.subscriptions,
      });
      ep.fingerprint = inst.fingerprint;
      this.effects.push({ kind: 'notice', episode: ep, previous: row0.last_value });
      this.set({ ...row0, last_value: inst.changeValue ?? null, ...fact });
      return;
    }
    const band = inst.band ?? rule.okBand;
    const prev = row.band ?? rule.okBand;
    if (band === prev) {
      if (row.status === 'pending' && row.since !== null && this.cx.now >= row.since + rule.forMs) {
        this.effects.push({
          kind: 'fire',
          episode_id: row.episode_id!,
          at: this.cx.now,
          value: inst.value,
          event_id: inst.event.id,
        });
        this.set({ ...row, status: 'firing', ...fact });
      }
      return;
    }
    if (prev !== rule.okBand)
      this.close(row, inst.factAt, inst.value, inst.event.id, `band ${prev} → ${band}`);
    const closed: StateRow = { ...row, status: 'ok', since: null, band, ...fact };
    if (band === rule.okBand) {
      this.set(closed);
      return;
    }
    this.open(inst, closed, inst.factAt, { value: inst.value, band, previous: prev }, inst.event.id, {
      at: inst.factAt,
      id: inst.event.id,
    });
  }

  /** Time-driven transitions: `for` elapsed, count windows sliding, resolve_after, rules that were removed. */
  timers(index: RuleIndex, active: Iterable<StateRow>): void {
    const now = this.cx.now;
    for (const row of active) {
      const rule = index.byId.get(row.rule_id);
      if (!rule) {
        if (row.status !== 'ok') {
          this.close(row, now, null, null, 'rule removed');
          this.set({ ...row, status: 'ok', since: null });
        }
        continue;
      }
      if (rule.count && row.buckets) {
        const from = now - rule.count.windowMs;
        const n = countIn(row.buckets, from - rule.count.bucketMs + 1);
        if (row.status !== 'ok' && n < rule.count.min) {
          this.close(row, now, n, null, `fewer than ${rule.count.min} events in the window`);
          const buckets = Object.fromEntries(
            Object.entries(row.buckets).filter(([k]) => Number(k) + rule.count!.bucketMs > from),
          );
          this.set({ ...row, status: 'ok', since: null, buckets });
          continue;
        }
      }
      if (row.status === 'pending' && row.since !== null && now >= row.since + rule.forMs) {
        this.effects.push({
          kind: 'fire',
          episode_id: row.episode_id!,
          at: now,
          value: null,
          event_id: null,
        });
        this.set({ ...row, status: 'firing' });
        continue;
      }
      if (
        row.status === 'firing' &&
        rule.resolveAfterMs !== null &&
        now - (row.seen_at ?? row.since ?? now) >= rule.resolveAfterMs
      ) {
        this.close(row, now, null, null, 'not confirmed by any event');
        this.set({ ...row, status: 'ok', since: null });
      }
    }
  }

  /** Ends the open episodes of these rows (e.g. their subscriber unsubscribed). */
  release(rows: Iterable<StateRow>, reason: string): void {
    for (const row of rows) {
      if (row.status === 'ok') continue;
      this.close(row, this.cx.now, null, null, reason);
      this.set({ ...row, status: 'ok', since: null });
    }
  }

  /**
   * Absence: instances silent for longer than the rule allows. Returns the presence rows to forget.
   *
   * Silence is counted only over the time this replica has been listening (`listeningSince`): heartbeats are not
   * stored, so what was sent while no alerter ran is lost, and a restart after a stop of the whole stack (whose
   * goodbyes arrived after the alerter had stopped listening) is not an outage of every service. After a start, a
   * fingerprint last seen before it is judged `after` from the start.
   */
  absence(
    index: RuleIndex,
    presence: Presence[],
    params: Record<string, unknown>,
    listeningSince = Number.NEGATIVE_INFINITY,
  ): string[] {
    const now = this.cx.now;
    const forget: string[] = [];
    for (const p of presence) {
      const rule = index.byId.get(p.rule_id);
      const row = this.get(p.fingerprint);
      if (!rule?.absence) {
        forget.push(p.fingerprint);
        if (row?.status === 'firing') {
          this.close(row, now, null, null, 'rule removed');
          this.set({ ...row, status: 'ok', since: null });
        }
        continue;
      }
      const silent = now - p.last_seen;
      if (silent >= rule.absence.forgetAfterMs) {
        forget.push(p.fingerprint);
        if (row?.status === 'firing') {
          this.close(row, now, silent / 1000, null, 'forgotten after a long silence');
          this.set({ ...row, status: 'ok', since: null });
        }
        continue;
      }
      // A goodbye: its silence is expected (the goodbye itself resolved a firing alert, as any event does).
      if (p.ended) continue;
      const heardSince = Math.max(p.last_seen, listeningSince);
      if (now - heardSince >= rule.absence.afterMs && row?.status !== 'firing') {
        const event = p.last_event as EventEnvelope;
        const scope: Scope = {
          event: event as unknown as Record<string, unknown>,
          data: event.data ?? {},
          params,
          vars: {},
        };
        this.open(
          { rule, fingerprint: p.fingerprint, labels: p.labels, scope, owners: [], subscriptionId: null },
          this.base(p.fingerprint, rule, row, p.labels),
          heardSince + rule.absence.afterMs,
          { value: Math.round(silent / 1000) },
          null,
        );
      }
    }
    return forget;
  }
}
