import { RpcError } from '@tocsin/bus';
import type { AlertSubscription, Cadence } from '@tocsin/events';
import { canonicalTimezone, timezoneProblem } from '../maintenance/schedule.ts';
import type { AlerterCore } from '../pipeline/core.ts';
import {
  deleteAlertSubscriptions,
  readAlertSubscriptions,
  upsertAlertSubscription,
} from './alertSubscriptionStore.ts';
import { periodOf } from './digestSchedule.ts';

/**
 * `$subscribe <chain|source> immediate|hourly|daily`, `$unsubscribe`, `$subscriptions` (RPC alert_subscribe,
 * alert_unsubscribe, alert_subscriptions). Which alerts a subscriber hears of is decided here: immediate ones are
 * tagged on the alert (lifecycle/episode.ts), the others get digests (digest.ts).
 */
export class AlertSubscriptionCommands {
  constructor(private readonly core: AlerterCore) {}

  /** The sources the rules watch: a bare word naming one is a source, anything else a chain id. */
  #scopeOf(value: string, scope?: AlertSubscription['scope']): AlertSubscription['scope'] {
    if (scope) return scope;
    return this.core.index.rules.some((r) => r.source === value) ? 'source' : 'chain';
  }

  async subscribe(req: {
    owner: string;
    value: string;
    scope?: AlertSubscription['scope'];
    cadence: Cadence;
    at?: string;
    timezone?: string;
  }): Promise<{ subscription: AlertSubscription; created: boolean }> {
    const value = req.value.trim();
    if ((req.at || req.timezone) && req.cadence !== 'daily')
      throw new RpcError('bad_request', 'a time of day and a time zone are for daily digests only', [
        'at: daily only',
      ]);
    if (req.timezone && !req.at)
      throw new RpcError('bad_request', 'a time zone needs a time of day (e.g. 09:00 Europe/Zurich)', [
        'at: missing',
      ]);
    // The zone's canonical name (utc → UTC), and one croner reads too (it cuts the days).
    const timezone = req.timezone ? canonicalTimezone(req.timezone) : undefined;
    if (timezone === null) {
      const zone = timezoneProblem(req.timezone!)!;
      throw new RpcError('bad_request', zone, [`timezone: ${zone}`]);
    }
    if (req.at) {
      try {
        periodOf({ cadence: 'daily', at: req.at, timezone: timezone ?? 'UTC' }, this.core.d.clock.now());
      } catch {
        throw new RpcError('bad_request', `no daily schedule at ${req.at} in ${timezone}`, [
          'timezone: unusable',
        ]);
      }
    }
    if (!/^[A-Za-z0-9_.:/-]+$/.test(value))
      throw new RpcError('bad_request', `\`${value}\` is not a chain id or a source`, [
        'value: letters, digits, . _ - : /',
      ]);
    const scope = this.#scopeOf(value, req.scope);
    if (scope === 'source' && !this.core.index.rules.some((r) => r.source === value)) {
      const known = [...new Set(this.core.index.rules.map((r) => r.source))].sort();
      throw new RpcError('bad_request', `no rule watches the source ${value}; known: ${known.join(', ')}`, [
        'value: unknown source',
      ]);
    }
    const core = this.core;
    return core.serial(() =>
      core.locked('subscriptions', async (c) => ({
        result: await upsertAlertSubscription(
          c,
          { owner: req.owner, scope, value, cadence: req.cadence, at: req.at, timezone },
          core.d.clock.now(),
        ),
      })),
    );
  }

  /** Removes the caller's subscription (an admin may name another owner's). */
  async unsubscribe(req: {
    by: string;
    is_admin: boolean;
    value: string;
    scope?: AlertSubscription['scope'];
    owner?: string;
  }): Promise<number> {
    const owner = req.owner ?? req.by;
    if (owner !== req.by && !req.is_admin)
      throw new RpcError('forbidden', "only an admin can remove another person's subscription");
    const core = this.core;
    const removed = await core.serial(() =>
      core.locked('subscriptions', async (c) => ({
        result: await deleteAlertSubscriptions(c, owner, req.value.trim(), req.scope),
      })),
    );
    if (!removed) throw new RpcError('not_found', `no subscription to ${req.value}`);
    return removed;
  }

  list(owner?: string): Promise<AlertSubscription[]> {
    return readAlertSubscriptions(this.core.d.pool, owner);
  }
}
