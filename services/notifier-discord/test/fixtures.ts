import { type Alert, type Notification, newId } from '@tocsin/events';
import { alertFixture, notificationFixture } from '@tocsin/testkit';

export const STARTED = '2026-11-21T12:00:00.000Z';

export function alertOf(over: Partial<Alert> = {}): Alert {
  return alertFixture({
    fingerprint: 'f1',
    labels: { rule: 'ibc-client-expiring', chain_id: 'cosmoshub-4', client_id: '07-tendermint-0' },
    summary: 'IBC client 07-tendermint-0 on cosmoshub-4 is 80% through its trusting period',
    description: '2h 52m left before it expires.',
    started_at: STARTED,
    ...over,
  });
}

/** A notification like the alerter publishes: one transition of one alert, or of a group. */
export function notificationOf(
  over: Partial<Notification> = {},
  alerts: Alert[] = [alertOf()],
): Notification {
  const transition = over.transition ?? 'firing';
  return notificationFixture(
    { key: `${alerts[0]!.episode_id}:${transition}:${newId()}`, created_at: STARTED, ...over },
    alerts,
  );
}

/** The same episode, later: resolved at `at`. */
export function resolvedOf(a: Alert, at = '2026-11-21T14:30:00.000Z'): Alert {
  return { ...a, state: 'resolved', resolved_at: at };
}
