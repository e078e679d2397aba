import type { Alert, Notification } from '@tocsin/events';
import { alertFixture as sharedAlert, notificationFixture as sharedNotification } from '@tocsin/testkit';

let seq = 0;
/** Deterministic ULID-shaped ids so rendered payloads can be compared exactly. */
export function ulidFor(n: number): string {
  return `01JD${String(n).padStart(22, '0')}`;
}

export function alertFixture(over: Partial<Alert> = {}): Alert {
  seq++;
  return sharedAlert({
    fingerprint: `fp${seq}`,
    episode_id: ulidFor(seq),
    rule_id: 'ibc-client-expiry-warning',
    ...over,
  });
}

export function notificationFixture(over: Partial<Notification> = {}, alerts?: Alert[]): Notification {
  return sharedNotification({ id: ulidFor(900_000 + seq++), ...over }, alerts ?? [alertFixture()]);
}
