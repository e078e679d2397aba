import type { Notification } from '@tocsin/events';
import { platformError } from '../client.ts';
import { applyTransition, type MessageState, renderMessage } from '../render.ts';
import type { SlackDelivery } from './shared.ts';

/** Re-renders the announcing message with the alerts' new states; a message gone or too old is left alone. */
export async function updateOriginal(
  d: SlackDelivery,
  channel: string,
  ts: string,
  n: Notification,
): Promise<void> {
  await editStored(d, channel, ts, (s) => applyTransition(s, n));
}

/** An incident's message re-rendered as the incident now is (`n` lists all of it); false when it cannot be. */
export function replaceOriginal(
  d: SlackDelivery,
  channel: string,
  ts: string,
  n: Notification,
): Promise<boolean> {
  return editStored(d, channel, ts, (s) => ({ ...s, notification: n }));
}

async function editStored(
  d: SlackDelivery,
  channel: string,
  ts: string,
  change: (s: MessageState) => MessageState,
): Promise<boolean> {
  const { log } = d;
  const state = await d.store.update(channel, ts, change);
  if (!state) {
    log.debug({ channel, ts }, 'no stored state for the original message; not editing it');
    return false;
  }
  try {
    await d.client.chat.update({ channel, ts, ...renderMessage(state, d.render) });
    return true;
  } catch (err) {
    const code = platformError(err);
    if (code === 'message_not_found' || code === 'cant_update_message' || code === 'edit_window_closed') {
      log.warn({ channel, ts, reason: code }, 'original message could not be edited; replying only');
      return false;
    }
    throw err;
  }
}
