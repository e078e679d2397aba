import type { WebClient } from '@slack/web-api';
import type { Notification } from '@tocsin/events';
import type { DeliveryContext } from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';
import type { MessageStore } from '../messages.ts';
import type { MessageState, RenderOptions } from '../render.ts';

/** Message metadata marking what tocsin posted; reconcile finds a post by its attempt id after a crash. */
export const METADATA_EVENT = 'tocsin_notification';

/** What the delivery stages (post, edit, steps, reconcile, digest) share. */
export interface SlackDelivery {
  client: WebClient;
  store: MessageStore;
  log: Logger;
  render: RenderOptions;
  /** The configured bot name and icon, on every post. */
  identity: { username?: string; icon_url?: string; icon_emoji?: string };
  /** Steps reconcile found already done, for the deliver call that follows it (same ctx object). */
  done: WeakMap<DeliveryContext, Map<string, string>>;
  /** The per-attempt lock a reconcile holds for the deliver (or digest) that follows it. */
  held: WeakMap<DeliveryContext, () => void>;
}

/** The stored state of a message just posted for a notification. */
export function initialState(n: Notification): MessageState {
  return {
    notification: n,
    retracted: n.transition === 'retracted' ? n.alerts.map((a) => a.episode_id) : [],
    silence: null,
  };
}
