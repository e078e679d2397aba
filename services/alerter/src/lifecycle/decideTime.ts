import type { EventEnvelope } from '@tocsin/events';
import { settleFlaps } from '../flap/flap.ts';
import type { Scope } from '../rules/scope.ts';
import { countIn, DeciderBase } from './decideCore.ts';
import type { RuleIndex } from './evaluate.ts';
import type { Presence, StateRow } from './types.ts';

/** The time-driven half of the lifecycle: transitions due to the clock, not to a fact. */
export abstract class TimeDecider extends DeciderBase {
  /** Time-driven transitions: `for` elapsed, count windows sliding, resolve_after, rules that were removed. */
  timers(index: RuleIndex, active: Iterable<StateRow>): void {
    const now = this.cx.now;
    const flapping: StateRow[] = [];
    for (const row of active) {
      if (row.flap?.card) flapping.push(row);
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
    if (this.cx.flapOf) {
      const fps = flapping.map((r) => r.fingerprint);
      const settled = settleFlaps(
        fps.map((fp) => this.get(fp)!),
        now,
        this.cx.flapOf,
      );
      for (const row of settled.rows) this.set(row);
      this.effects.push(...settled.effects);
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
