import type { Notification } from '@tocsin/events';
import { alertFixture, notificationFixture } from '@tocsin/testkit';

export function sampleNotification(
  over: Partial<Notification> = {},
  alertOver: Record<string, unknown> = {},
): Notification {
  return notificationFixture(over, [
    alertFixture({ rule_id: 'ibc-client-expiry-warning', fingerprint: 'f1', ...alertOver }),
  ]);
}
