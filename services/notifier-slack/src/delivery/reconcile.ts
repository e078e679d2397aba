import type { Delivered, DeliveryContext } from '@tocsin/notify';
import { toDeliveryError } from '../client.ts';
import { planDelivery, type Step, stepKey } from '../plan.ts';
import { initialState, METADATA_EVENT, type SlackDelivery } from './shared.ts';

/**
 * How far reconcile pages through a channel or thread (200 messages a page, newest first) within its window, the
 * messages since the first attempt began: past it, the post is taken as missing and sent again (logged).
 */
const RECONCILE_PAGES = 10;
/** Clock skew allowed between the delivery log's clock (PostgreSQL, which stamps the first attempt) and Slack's. */
const SKEW_S = 120;

interface MessageHit {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * The message carrying this attempt id in the channel (or one thread) since the notification was made, and
 * whether it was a digest of several notifications.
 */
async function find(
  d: SlackDelivery,
  channel: string,
  attemptId: string,
  oldest: string,
  thread?: string,
): Promise<{ ts: string; digest: boolean } | null> {
  let cursor: string | undefined;
  for (let page = 0; page < RECONCILE_PAGES; page++) {
    const base = { channel, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
    const res = thread
      ? await d.client.conversations.replies({ ...base, ts: thread })
      : await d.client.conversations.history(base);
    for (const m of (res.messages ?? []) as MessageHit[]) {
      if (m.metadata?.event_type !== METADATA_EVENT || !m.ts) continue;
      const p = m.metadata.event_payload ?? {};
      const ids = Array.isArray(p.attempt_ids) ? (p.attempt_ids as unknown[]) : null;
      if (p.attempt_id === attemptId || ids?.includes(attemptId)) return { ts: m.ts, digest: ids !== null };
    }
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return null;
  }
  d.log.warn(
    { channel, thread, pages: RECONCILE_PAGES, oldest },
    'earlier post not found in the newest messages of the window; sending again (a duplicate is possible)',
  );
  return null;
}

/** Looks for the posts of an interrupted delivery; null (with what was found kept for deliver) if any is missing. */
export async function lookUp(d: SlackDelivery, ctx: DeliveryContext): Promise<Delivered | null> {
  const { log, store } = d;
  const steps = planDelivery(ctx.notification, ctx.priorRefs);
  // Only messages since the first attempt began can be its posts (the notification may have waited long before).
  const since = Math.max(Date.parse(ctx.notification.created_at), ctx.firstAttemptAt?.getTime() ?? 0);
  const oldest = String(Math.floor(since / 1000) - SKEW_S);
  const found = new Map<string, string>();
  const look = async (step: Step | null) => {
    try {
      return await find(
        d,
        ctx.channel,
        ctx.attemptId,
        oldest,
        step?.kind === 'reply' ? step.thread : undefined,
      );
    } catch (err) {
      const e = toDeliveryError(err, `slack channel ${ctx.channel}`);
      if (e.retry) throw e;
      // e.g. missing channels:history: cannot know, so send again (and say a duplicate is possible).
      log.warn(
        { channel: ctx.channel, reason: e.message },
        'cannot check for an earlier post; sending again',
      );
      return null;
    }
  };
  // In the channel first: a new message, or a digest that carried this notification whatever its plan.
  const top = await look(null);
  if (top?.digest) {
    log.info(
      { channel: ctx.channel, key: ctx.notification.key },
      'interrupted delivery went out in a digest',
    );
    return { ref: top.ts };
  }
  if (top && !steps.some((st) => st.kind === 'post')) {
    // A reply that fell back to a channel message (its thread was gone).
    return { ref: top.ts };
  }
  for (const step of steps) {
    const hit = step.kind === 'post' ? top : await look(step);
    if (hit) found.set(stepKey(step), hit.ts);
  }
  log.info(
    { channel: ctx.channel, key: ctx.notification.key, found: found.size, steps: steps.length },
    'reconciled an interrupted delivery',
  );
  if (found.size < steps.length) {
    d.done.set(ctx, found);
    return null;
  }
  // Everything was sent; finish what the crash interrupted (the stored state of new messages).
  for (const step of steps) {
    if (step.kind === 'post') {
      await store.save(
        ctx.channel,
        found.get('post')!,
        initialState({ ...ctx.notification, alerts: step.alerts }),
      );
    }
  }
  return { ref: found.get(stepKey(steps[0]!)) ?? null };
}
