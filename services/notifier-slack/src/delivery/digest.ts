import { type Delivered, type DeliveryContext, senderOf } from '@tocsin/notify';
import { toDeliveryError } from '../client.ts';
import { planDelivery, UPDATES_ORIGINAL } from '../plan.ts';
import { digestState, renderMessage } from '../render.ts';
import { updateOriginal } from './edit.ts';
import { post } from './post.ts';
import type { SlackDelivery } from './shared.ts';

/**
 * A burst past the channel's rate (see withBurstDigest): the originals are still edited, then one message
 * lists every alert of the burst, carrying all their attempt ids for reconcile.
 */
export async function deliverDigest(
  d: SlackDelivery,
  channel: string,
  items: DeliveryContext[],
): Promise<Delivered> {
  try {
    for (const item of items) {
      if (!UPDATES_ORIGINAL.has(item.notification.transition)) continue;
      for (const step of planDelivery(item.notification, item.priorRefs)) {
        if (step.kind === 'reply') {
          await updateOriginal(d, channel, step.thread, { ...item.notification, alerts: step.alerts });
        }
      }
    }
    const state = digestState(items.map((i) => i.notification));
    const ts = await post(
      d,
      channel,
      renderMessage(state, d.render),
      items.map((i) => i.attemptId),
      undefined,
      senderOf(items.map((i) => i.notification)),
    );
    await d.store.save(channel, ts, state);
    d.log.info({ channel, notifications: items.length }, 'burst over the channel rate sent as a digest');
    return { ref: ts };
  } catch (err) {
    throw toDeliveryError(err, `slack channel ${channel}`);
  } finally {
    // The digest stood in for each item's deliver: release what their reconcile held.
    for (const item of items) {
      d.held.get(item)?.();
      d.held.delete(item);
      d.done.delete(item);
    }
  }
}
