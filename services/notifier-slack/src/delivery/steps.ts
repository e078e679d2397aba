import type { Notification } from '@tocsin/events';
import { type DeliveryContext, senderOf } from '@tocsin/notify';
import { platformError } from '../client.ts';
import { type Step, stepKey } from '../plan.ts';
import { renderNotification, renderThreadReply } from '../render.ts';
import { replaceOriginal, updateOriginal } from './edit.ts';
import { post } from './post.ts';
import { initialState, type SlackDelivery } from './shared.ts';

/**
 * One step of a delivery plan: a new message in the channel, or a reply under the announcing message (which is
 * edited first when the transition updates it). A step reconcile found done is not sent again.
 */
export async function runStep(
  d: SlackDelivery,
  ctx: DeliveryContext,
  step: Step,
  found: Map<string, string>,
): Promise<string> {
  const { channel, attemptId } = ctx;
  const { store, render } = d;
  const n: Notification = { ...ctx.notification, alerts: step.alerts };
  const already = found.get(stepKey(step));
  if (step.kind === 'post') {
    const ts =
      already ?? (await post(d, channel, renderNotification(n, render), attemptId, undefined, senderOf(n)));
    await store.save(channel, ts, initialState(n));
    return ts;
  }
  if (already) return already;
  if (step.kind === 'replace') {
    if (await replaceOriginal(d, channel, step.thread, n)) return step.thread;
    // The incident's message is gone (or too old to edit): a new one.
    const ts = await post(d, channel, renderNotification(n, render), attemptId, undefined, senderOf(n));
    await store.save(channel, ts, initialState(n));
    return ts;
  }
  if (step.update) await updateOriginal(d, channel, step.thread, n);
  if (step.quiet) return step.thread;
  try {
    return await post(
      d,
      channel,
      renderThreadReply(n, render),
      attemptId,
      { ts: step.thread, broadcast: step.broadcast },
      senderOf(n),
    );
  } catch (err) {
    if (platformError(err) !== 'thread_not_found') throw err;
    // The announcing message was deleted: say it in the channel instead.
    const ts = await post(d, channel, renderNotification(n, render), attemptId, undefined, senderOf(n));
    await store.save(channel, ts, initialState(n));
    return ts;
  }
}
