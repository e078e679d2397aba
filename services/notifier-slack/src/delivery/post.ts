import type { ChatPostMessageArguments } from '@slack/web-api';
import type { Sender } from '@tocsin/notify';
import type { SlackMessage } from '../blocks.ts';
import { METADATA_EVENT, type SlackDelivery } from './shared.ts';

/** Posts a message (in the channel, or in a thread) carrying the attempt id(s) in its metadata; its ts. */
export async function post(
  d: SlackDelivery,
  channel: string,
  msg: SlackMessage,
  attemptId: string | string[],
  thread?: { ts: string; broadcast: boolean },
  sender: Sender = {},
) {
  const args = {
    ...d.identity,
    // The reporting instance's own name and icon, when the notification carries them (its startup notice).
    ...(sender.name ? { username: sender.name } : {}),
    ...(sender.iconUrl ? { icon_url: sender.iconUrl, icon_emoji: undefined } : {}),
    channel,
    text: msg.text,
    blocks: msg.blocks,
    unfurl_links: false,
    unfurl_media: false,
    metadata: {
      event_type: METADATA_EVENT,
      event_payload:
        typeof attemptId === 'string'
          ? { attempt_id: attemptId }
          : { attempt_id: attemptId[0]!, attempt_ids: attemptId },
    },
    ...(thread ? { thread_ts: thread.ts, ...(thread.broadcast ? { reply_broadcast: true } : {}) } : {}),
  } as ChatPostMessageArguments;
  const res = await d.client.chat.postMessage(args);
  if (!res.ts) throw new Error('chat.postMessage answered ok without a ts');
  return res.ts;
}
