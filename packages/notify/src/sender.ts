import type { Notification } from '@tocsin/events';

/** Alert labels that name who a notification is from (rules set them, e.g. the default `service-started`). */
export const SENDER_NAME_LABEL = 'sender_name';
export const SENDER_ICON_LABEL = 'sender_icon_url';

/** The name and icon a notification asks to be posted under; a field is absent unless every alert agrees. */
export interface Sender {
  name?: string;
  iconUrl?: string;
}

function agreed(ns: readonly Notification[], label: string): string | undefined {
  let value: string | undefined;
  for (const n of ns)
    for (const a of n.alerts) {
      const v = a.labels[label];
      if (!v) return undefined;
      if (value !== undefined && v !== value) return undefined;
      value = v;
    }
  return value;
}

/**
 * The sender of one notification, or of a message that carries several (a digest): what platforms that can post
 * under another name and icon per message (Slack, Discord webhooks) use instead of their configured identity.
 */
export function senderOf(ns: Notification | readonly Notification[]): Sender {
  const list = Array.isArray(ns) ? (ns as readonly Notification[]) : [ns as Notification];
  const name = agreed(list, SENDER_NAME_LABEL);
  const iconUrl = agreed(list, SENDER_ICON_LABEL);
  return { ...(name ? { name } : {}), ...(iconUrl && /^https?:\/\//.test(iconUrl) ? { iconUrl } : {}) };
}
