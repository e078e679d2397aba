import type { Notification } from '@tocsin/events';
import { platformError } from '../client.ts';
import { applyTransition, renderMessage } from '../render.ts';
import type { SlackDelivery } from './shared.ts';

/** Re-renders the announcing message with the alerts' new states; a message gone or too old is left alone. */
export async function updateOriginal(
  d: SlackDelivery,
  channel: string,
  ts: string,
  n: Notification,
): Promise<void> {
  const { log } = d;
  const state = await d.store.update(channel, ts, (s) => applyTransition(s, n));
  if (!state) {
    log.debug({ channel, ts }, 'no stored state for the original message; not editing it');
    return;
  }
  try {
    await d.client.chat.update({ channel, ts, ...renderMessage(state, d.render) });
  } catch (err) {
    const code = platformError(err);
    if (code === 'message_not_found' || code === 'cant_update_message' || code === 'edit_window_closed') {
      log.warn({ channel, ts, reason: code }, 'original message could not be edited; replying only');
      return;
    }
    throw err;
  }
}
