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

let fresh = 0;
/**
 * A firing notification for a fresh episode (new ids, client and group), stamped now: what the notifier tests
 * publish (a notifier's reconcile looks for posts made after it). `alert` overrides the alert's fields.
 */
export function freshFiring(over: Partial<Notification> = {}, alert: Partial<Alert> = {}): Notification {
  const episode = newId();
  fresh++;
  const created = new Date().toISOString();
  const a = alertFixture({
    fingerprint: `fp-${episode}`,
    episode_id: episode,
    rule_id: 'ibc-client-expiry-warning',
    labels: { rule: 'ibc-client-expiry-warning', client_id: `07-tendermint-${fresh}` },
    summary: `client 07-tendermint-${fresh} at 80% of its trusting period`,
    started_at: created,
    ...alert,
  });
  return notificationFixture(
    {
      severity: alert.severity ?? 'warning',
      source: alert.source ?? 'cosmos-ibc',
      group: { key: `g${fresh}`, labels: {} },
      created_at: created,
      ...over,
    },
    [a],
  );
}

/** A later transition of the same alert(s), keyed `<episode>:<transition>:<seq>` as the alerter keys them. */
export function laterTransition(
  base: Notification,
  transition: Notification['transition'],
  alert: Partial<Alert> = {},
  seq = 1,
): Notification {
  return {
    ...base,
    id: newId(),
    key: `${base.alerts[0]!.episode_id}:${transition}:${seq}`,
    transition,
    created_at: new Date().toISOString(),
    alerts: base.alerts.map((a) => ({ ...a, ...alert })),
  };
}
