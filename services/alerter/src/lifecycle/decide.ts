import { countIn, isStale, sameValue, stepOf } from './decideCore.ts';
import { TimeDecider } from './decideTime.ts';
import { newEpisode } from './episode.ts';
import type { Instance, StateRow } from './types.ts';

export type { DecideContext } from './decideCore.ts';
export { newEpisode } from './episode.ts';

/**
 * The lifecycle's decisions, pure (decideCore.ts says how): facts here (threshold, count, state change, notice,
 * absence resumed), the clock in decideTime.ts (for, windows, resolve_after, absence, released subscriptions).
 */
export class Decider extends TimeDecider {
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
    if (inst.retract !== undefined) {
      this.retract(inst, inst.retract);
      return;
    }
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

  /**
   * The fact behind the fingerprint's latest episode was withdrawn: the episode ends as retracted (the store
   * ignores one already retracted, and says it only where its firing was sent).
   */
  private retract(inst: Instance, reason: string): void {
    const row = this.get(inst.fingerprint);
    if (!row?.episode_id) return;
    this.effects.push({
      kind: 'retract',
      episode_id: row.episode_id,
      at: inst.factAt,
      event_id: inst.event.id,
      reason,
    });
    const fact = inst.factAt > row.fact_at ? { fact_at: inst.factAt, fact_id: inst.event.id } : {};
    this.set({ ...row, status: 'ok', since: null, ...fact });
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
}
