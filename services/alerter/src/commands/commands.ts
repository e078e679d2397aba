import { RpcError } from '@tocsin/bus';
import type { Alert, Matcher } from '@tocsin/events';
import {
  type AlertQuery,
  type EpisodeRow,
  latestEpisode,
  listEpisodes,
  readEpisode,
  readTimeline,
  type TimelineItem,
  toAlert,
} from '../history/episodes.ts';
import { applyEffects, insertPending, insertTimeline } from '../lifecycle/episodeStore.ts';
import type { AlerterCore } from '../pipeline/core.ts';
import { matcherProblems, matchesAll, silencedBy } from '../silences/match.ts';
import {
  endSilence,
  insertSilence,
  listSilences,
  readActiveSilences,
  type Silence,
} from '../silences/silenceStore.ts';
import type { Subscription } from '../subscriptions/subscriptionIndex.ts';
import {
  deleteSubscriptions,
  readSubscriptions,
  upsertSubscription,
} from '../subscriptions/subscriptionStore.ts';

/** When an acknowledgement runs out: null = when the alert resolves. */
function ackUntil(req: { duration_s?: number; until?: string }, now: number): number | null {
  if (req.duration_s !== undefined && req.until !== undefined)
    throw new RpcError('bad_request', 'give duration_s or until, not both', ['until: with duration_s']);
  if (req.duration_s !== undefined) return now + req.duration_s * 1000;
  if (req.until === undefined) return null;
  const t = Date.parse(req.until);
  if (Number.isNaN(t) || t <= now)
    throw new RpcError('bad_request', 'until must be a time in the future', ['until: in the past']);
  return t;
}

/**
 * What people ask of the alerter (RPC and HTTP): acknowledge, silence, subscribe, and the reads behind them. A
 * command that changes shared state runs in the same queue and under the same lock as the pipeline's batches.
 */
export class Commands {
  constructor(private readonly core: AlerterCore) {}

  #now(): number {
    return this.core.d.clock.now();
  }

  /** An alert as the RPC answers it: marked `manual_resolve` as in notifications, so a chat keeps its Resolve. */
  #alert(ep: EpisodeRow, silencedBy: string[]): Alert {
    const a = toAlert(ep, silencedBy);
    return this.core.index.byId.get(ep.rule_id)?.manualResolve ? { ...a, manual_resolve: true } : a;
  }

  async ack(req: {
    by: string;
    fingerprint?: string;
    episode_id?: string;
    note?: string;
    duration_s?: number;
    until?: string;
  }): Promise<Alert> {
    const core = this.core;
    return core.serial(() =>
      core.locked(null, async (c) => {
        const now = this.#now();
        const until = ackUntil(req, now);
        const ep = req.episode_id
          ? await readEpisode(c, req.episode_id)
          : await latestEpisode(c, req.fingerprint!);
        if (!ep) throw new RpcError('not_found', `no alert ${req.episode_id ?? req.fingerprint}`);
        if (ep.mode === 'notice') throw new RpcError('bad_request', 'a notice cannot be acknowledged');
        // Under the lock, so an ack racing the resolution sees it: a resolved alert stays resolved (no new episode).
        if (ep.acked_by) return { result: this.#alert(ep, []) };
        if (ep.state === 'resolved')
          throw new RpcError('bad_request', `alert ${ep.episode_id} is already resolved`);
        await c.query(
          `UPDATE alerter_episodes SET acked_by = $2, acked_at = $3, ack_note = $4, ack_until = $5,
             escalate_at = NULL, next_repeat_at = NULL WHERE episode_id = $1`,
          [ep.episode_id, req.by, new Date(now), req.note ?? null, until === null ? null : new Date(until)],
        );
        // What was about to be repeated or escalated is moot now.
        await c.query(
          `DELETE FROM alerter_pending WHERE episode_id = $1 AND transition IN ('repeat', 'escalated')`,
          [ep.episode_id],
        );
        const acks = await c.query(
          `SELECT count(*)::int AS n FROM alerter_timeline WHERE episode_id = $1 AND kind = 'acknowledged'`,
          [ep.episode_id],
        );
        const ack = Number(acks.rows[0].n) + 1;
        await insertTimeline(c, [
          {
            episode_id: ep.episode_id,
            at: now,
            kind: 'acknowledged',
            detail: {
              by: req.by,
              note: req.note ?? null,
              until: until === null ? 'resolved' : new Date(until).toISOString(),
            },
          },
          ...(ep.escalate_at
            ? [{ episode_id: ep.episode_id, at: now, kind: 'escalation_stopped', detail: { by: req.by } }]
            : []),
        ]);
        // The notifiers show who acknowledged only on messages they sent.
        if (ep.notified_at && !ep.suppressed_by)
          await insertPending(c, [
            {
              group_key: ep.group_key,
              episode_id: ep.episode_id,
              transition: 'acknowledged',
              created_at: now,
              ...(ack > 1 ? { detail: { ack } } : {}),
            },
          ]);
        const outbox = await core.flush(c, now, [ep.group_key]);
        const updated = (await readEpisode(c, ep.episode_id))!;
        return { result: this.#alert(updated, []), outbox };
      }),
    );
  }

  /**
   * Resolves an alert by hand (the chats' Resolve button): only alerts of rules that cannot resolve on their own
   * (`manual_resolve`), only by an admin. The same race-safe path as the pipeline's resolutions (under the lock,
   * through the decider): a resolved alert stays resolved, and an ack after it is refused as for any resolution.
   */
  async resolve(req: {
    by: string;
    is_admin: boolean;
    fingerprint?: string;
    episode_id?: string;
    note?: string;
  }): Promise<Alert> {
    const core = this.core;
    return core.serial(() =>
      core.locked(null, async (c) => {
        const now = this.#now();
        const ep = req.episode_id
          ? await readEpisode(c, req.episode_id)
          : await latestEpisode(c, req.fingerprint!);
        if (!ep) throw new RpcError('not_found', `no alert ${req.episode_id ?? req.fingerprint}`);
        if (ep.mode === 'notice')
          throw new RpcError('bad_request', 'a notice is over once sent: nothing to resolve');
        if (ep.state === 'resolved')
          throw new RpcError('bad_request', `alert ${ep.episode_id} is already resolved`);
        const rule = core.index.byId.get(ep.rule_id);
        if (!rule?.manualResolve)
          throw new RpcError(
            'bad_request',
            `alert ${ep.episode_id} (rule ${ep.rule_id}) resolves on its own when its condition clears; only notice-like alerts (rules with manual_resolve) can be resolved by hand — acknowledge or silence it instead`,
          );
        if (!req.is_admin) throw new RpcError('forbidden', 'only an admin can resolve an alert by hand');
        const row = core.cache.get(ep.fingerprint);
        if (!row || row.episode_id !== ep.episode_id || row.status === 'ok')
          throw new RpcError('bad_request', `alert ${ep.episode_id} is already resolved`);
        const d = core.decider(now);
        d.release([row], `resolved by ${req.by}${req.note ? `: ${req.note}` : ''}`);
        const plan = d.plan();
        const touched = await applyEffects(c, plan.effects, now);
        const flush = await core.planFlush(c, now, touched);
        const updated = (await readEpisode(c, ep.episode_id))!;
        return { result: this.#alert(updated, []), plan, flush };
      }),
    );
  }

  async silence(req: {
    by: string;
    matchers: Matcher[];
    duration_s?: number;
    ends_at?: string;
    reason: string;
  }): Promise<Silence> {
    const problems = matcherProblems(req.matchers);
    if (problems.length) throw new RpcError('bad_request', problems.join('; '), problems);
    const now = this.#now();
    const ends = req.ends_at
      ? Date.parse(req.ends_at)
      : req.duration_s
        ? now + req.duration_s * 1000
        : Number.NaN;
    if (Number.isNaN(ends))
      throw new RpcError('bad_request', 'duration_s or ends_at is required', ['duration_s: required']);
    if (ends <= now)
      throw new RpcError('bad_request', 'ends_at must be in the future', ['ends_at: in the past']);
    const core = this.core;
    return core.serial(() =>
      core.locked('silences', async (c) => {
        const s = await insertSilence(c, {
          matchers: req.matchers,
          starts_at: now,
          ends_at: ends,
          author: req.by,
          reason: req.reason,
          now,
        });
        const open = await c.query(
          `SELECT episode_id, labels FROM alerter_episodes WHERE state <> 'resolved'`,
        );
        await insertTimeline(
          c,
          open.rows
            .filter((r) => matchesAll(req.matchers, r.labels))
            .map((r) => ({
              episode_id: r.episode_id,
              at: now,
              kind: 'silence_added',
              detail: { silence: s.id, by: req.by, reason: req.reason, until: s.ends_at },
            })),
        );
        return { result: s };
      }),
    );
  }

  async expireSilence(req: { by: string; id: string }): Promise<Silence> {
    const core = this.core;
    return core.serial(() =>
      core.locked('silences', async (c) => {
        const now = this.#now();
        const s = await endSilence(c, req.id, now);
        if (!s) throw new RpcError('not_found', `no active silence ${req.id}`);
        // What the silence held back is due now (if it still applies).
        return { result: s, flush: await core.planFlush(c, now, undefined, true) };
      }),
    );
  }

  listSilences(activeOnly: boolean): Promise<Silence[]> {
    return listSilences(this.core.d.pool, activeOnly, this.#now());
  }

  async alerts(q: AlertQuery): Promise<Alert[]> {
    const now = this.#now();
    const [rows, silences] = await Promise.all([
      listEpisodes(this.core.d.pool, q),
      readActiveSilences(this.core.d.pool, now),
    ]);
    // Maintenance occurrences mute like silences (their ids: `maintenance:<window>@<start>`).
    const muting = [...silences, ...this.core.maintenanceMuting(now)];
    return rows.map((ep) =>
      this.#alert(ep, ep.state === 'resolved' ? [] : silencedBy(muting, ep.labels, now)),
    );
  }

  async alert(id: string): Promise<{ alert: Alert; timeline: TimelineItem[] } | undefined> {
    const pool = this.core.d.pool;
    const ep: EpisodeRow | undefined = await readEpisode(pool, id);
    if (!ep) return undefined;
    const now = this.#now();
    const silences = [...(await readActiveSilences(pool, now)), ...this.core.maintenanceMuting(now)];
    return {
      alert: this.#alert(ep, ep.state === 'resolved' ? [] : silencedBy(silences, ep.labels, now)),
      timeline: await readTimeline(pool, id),
    };
  }

  async subscribe(
    s: Omit<Subscription, 'id' | 'created_at'>,
  ): Promise<{ subscription: Subscription; created: boolean }> {
    const core = this.core;
    return core.serial(() =>
      core.locked('subscriptions', async (c) => ({
        result: await upsertSubscription(c, s, this.#now()),
      })),
    );
  }

  /**
   * Only the owner removes a subscription (an admin removes everyone's for that target). Alerts that were firing
   * for the removed subscribers are resolved: nobody is tagged for them any more.
   */
  async unsubscribe(req: {
    by: string;
    is_admin: boolean;
    kind: Subscription['kind'];
    target: string;
    chain_id?: string;
  }): Promise<number> {
    const core = this.core;
    return core.serial(() =>
      core.locked('subscriptions', async (c) => {
        const now = this.#now();
        const found = await readSubscriptions(c, {
          kind: req.kind,
          target: req.target,
          chain_id: req.chain_id,
        });
        if (!found.length)
          throw new RpcError(
            'not_found',
            `no subscription for ${req.target}${req.chain_id ? ` on ${req.chain_id}` : ''}`,
          );
        const mine = req.is_admin ? found : found.filter((s) => s.owner === req.by);
        if (!mine.length)
          throw new RpcError(
            'forbidden',
            `only the user who registered ${req.target} (or an admin) can deregister it`,
          );
        const ids = new Set(mine.map((s) => s.id));
        const removed = await deleteSubscriptions(c, [...ids]);
        const d = core.decider(now);
        d.release(
          [...core.cache.activeRows()].filter(
            (r) => r.subscription_id !== null && ids.has(r.subscription_id),
          ),
          'subscription removed',
        );
        const plan = d.plan();
        const touched = await applyEffects(c, plan.effects, now);
        return { result: removed, plan, flush: await core.planFlush(c, now, touched) };
      }),
    );
  }

  subscriptions(f: { owner?: string; kind?: string; chain_id?: string }): Promise<Subscription[]> {
    return readSubscriptions(this.core.d.pool, f);
  }
}
