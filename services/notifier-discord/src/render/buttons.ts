import type { Notification } from '@tocsin/events';
import { type APIActionRowComponent, type APIButtonComponent, ButtonStyle, ComponentType } from 'discord.js';
import { encodeButton } from './customIds.ts';

/**
 * Acknowledge, Snooze 1 h / 24 h (a silence of the alert's labels) and, when an open alert is one its rule cannot
 * resolve (`manual_resolve`), Resolve, for a card's open alerts (none on notices, retractions, resolved cards).
 */
export function buttonsFor(notifications: Notification[]): APIActionRowComponent<APIButtonComponent>[] {
  const alerts = notifications.flatMap((n) => n.alerts);
  const open = alerts.filter((a) => a.state !== 'resolved');
  if (!open.length || notifications.every((n) => n.transition === 'notice' || n.transition === 'retracted')) {
    return [];
  }
  const episode = alerts.length === 1 ? alerts[0]!.episode_id : '*';
  const all = episode === '*' ? ' all' : '';
  const acked = open.every((a) => a.acknowledged);
  const button = (
    custom_id: string,
    label: string,
    style: ButtonStyle.Primary | ButtonStyle.Secondary | ButtonStyle.Success | ButtonStyle.Danger,
    disabled = false,
  ): APIButtonComponent => ({
    type: ComponentType.Button,
    custom_id,
    label,
    style,
    ...(disabled ? { disabled: true } : {}),
  });
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        button(
          encodeButton({ kind: 'ack', episode }),
          acked ? 'Acknowledged' : `Acknowledge${all}`,
          acked ? ButtonStyle.Success : ButtonStyle.Primary,
          acked,
        ),
        button(
          encodeButton({ kind: 'silence', hours: 1, episode }),
          `Snooze${all} 1 h`,
          ButtonStyle.Secondary,
        ),
        button(
          encodeButton({ kind: 'silence', hours: 24, episode }),
          `Snooze${all} 24 h`,
          ButtonStyle.Secondary,
        ),
        ...(open.some((a) => a.manual_resolve)
          ? [button(encodeButton({ kind: 'resolve', episode }), `Resolve${all}`, ButtonStyle.Danger)]
          : []),
      ],
    },
  ];
}
