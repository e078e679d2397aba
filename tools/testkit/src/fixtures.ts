import { type Alert, type Notification, newId } from '@tocsin/events';

/** An alert as the alerter publishes it: an IBC client at 80% of its trusting period. Override what matters. */
export function alertFixture(over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'fp',
    episode_id: newId(),
    rule_id: 'ibc-client-expiring',
    state: 'firing',
    severity: 'warning',
    source: 'cosmos-ibc',
    chain_id: 'cosmoshub-4',
    labels: { client_id: '07-tendermint-0' },
    summary: 'client 07-tendermint-0 at 80% of its trusting period',
    description: '',
    started_at: '2026-11-21T12:00:00.000Z',
    resolved_at: null,
    value: 0.8,
    acknowledged: null,
    silenced_by: [],
    escalated: false,
    mentions: [],
    links: [],
    event_id: null,
    retracted: null,
    ...over,
  };
}

/**
 * A notification carrying `alerts` (one fresh alert by default); its key follows the alerter's
 * `<episode>:<transition>:<n>` form unless overridden.
 */
export function notificationFixture(
  over: Partial<Notification> = {},
  alerts: Alert[] = [alertFixture()],
): Notification {
  const first = alerts[0]!;
  return {
    id: newId(),
    version: 1,
    key: `${first.episode_id}:${over.transition ?? 'firing'}:1`,
    transition: 'firing',
    severity: first.severity,
    source: first.source,
    group: { key: 'g', labels: {} },
    mentions: [],
    created_at: '2026-11-21T12:00:00.000Z',
    alerts,
    ...over,
  };
}
