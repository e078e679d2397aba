import type { ChatPostMessageArguments, WebClient } from '@slack/web-api';
import type { Notification } from '@tocsin/events';
import {
  type Delivered,
  type DeliveryContext,
  type DigestingProvider,
  routeChannels,
  type Sender,
  senderOf,
} from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';
import type { SlackMessage } from './blocks.ts';
import { platformError, toDeliveryError } from './client.ts';
import type { SlackConfig } from './config.ts';
import { keyedLock } from './keyedLock.ts';
import type { MessageStore } from './messages.ts';
import { planDelivery, type Step, stepKey, UPDATES_ORIGINAL } from './plan.ts';
import {
  applyTransition,
  digestState,
  type MessageState,
  type RenderOptions,
  renderMessage,
  renderNotification,
  renderThreadReply,
} from './render.ts';

/** Message metadata marking what tocsin posted; reconcile finds a post by its attempt id after a crash. */
export const METADATA_EVENT = 'tocsin_notification';

/**
 * How far reconcile pages through a channel or thread (200 messages a page, newest first) within its window, the
 * messages since the first attempt began: past it, the post is taken as missing and sent again (logged).
 */
const RECONCILE_PAGES = 10;
/** Clock skew allowed between the delivery log's clock (PostgreSQL, which stamps the first attempt) and Slack's. */
const SKEW_S = 120;

function initialState(n: Notification): MessageState {
  return {
    notification: n,
    retracted: n.transition === 'retracted' ? n.alerts.map((a) => a.episode_id) : [],
    silence: null,
  };
}

export interface SlackProviderOptions {
  client: WebClient;
  config: Pick<
    SlackConfig,
    'default_channel' | 'routes' | 'mentions' | 'username' | 'icon_url' | 'icon_emoji'
  >;
  store: MessageStore;
  log: Logger;
}

interface MessageHit {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * Slack as a notifier. Slack has no idempotency key, so each post carries the attempt id in its message metadata;
 * after a crash between posting and recording, `reconcile` looks for it in the channel (or thread) before anything
 * is sent again.
 */
export function slackProvider(opts: SlackProviderOptions): DigestingProvider {
  const { client, config, store, log } = opts;
  const render: RenderOptions = { mentions: config.mentions };
  const identity = {
    username: config.username,
    ...(config.icon_url
      ? { icon_url: config.icon_url }
      : config.icon_emoji
        ? { icon_emoji: config.icon_emoji }
        : {}),
  };
  /** Steps reconcile found already done, for the deliver call that follows it (same ctx object). */
  const done = new WeakMap<DeliveryContext, Map<string, string>>();
  /**
   * JetStream can hand one process two copies of a message at once (a redelivery while the first copy is still
   * being handled). The delivery log lets the second copy through, so each copy's reconcile + deliver runs under
   * a per-attempt lock, and a copy that had to wait looks in Slack before posting: it finds the first copy's post
   * instead of racing it. (Copies handled by two replicas at once are kept apart by the delivery log's lease, and
   * the consume loop extends the ack deadline of a slow delivery so that JetStream does not hand it out again.)
   */
  const lock = keyedLock();
  const held = new WeakMap<DeliveryContext, () => void>();

  async function post(
    channel: string,
    msg: SlackMessage,
    attemptId: string | string[],
    thread?: { ts: string; broadcast: boolean },
    sender: Sender = {},
  ) {
    const args = {
      ...identity,
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
    const res = await client.chat.postMessage(args);
    if (!res.ts) throw new Error('chat.postMessage answered ok without a ts');
    return res.ts;
  }

  /** Re-renders the announcing message with the alerts' new states; a message gone or too old is left alone. */
  async function updateOriginal(channel: string, ts: string, n: Notification): Promise<void> {
    const state = await store.update(channel, ts, (s) => applyTransition(s, n));
    if (!state) {
      log.debug({ channel, ts }, 'no stored state for the original message; not editing it');
      return;
    }
    try {
      await client.chat.update({ channel, ts, ...renderMessage(state, render) });
    } catch (err) {
      const code = platformError(err);
      if (code === 'message_not_found' || code === 'cant_update_message' || code === 'edit_window_closed') {
        log.warn({ channel, ts, reason: code }, 'original message could not be edited; replying only');
        return;
      }
      throw err;
    }
  }

  async function runStep(ctx: DeliveryContext, step: Step, found: Map<string, string>): Promise<string> {
    const { channel, attemptId } = ctx;
    const n: Notification = { ...ctx.notification, alerts: step.alerts };
    const already = found.get(stepKey(step));
    if (step.kind === 'post') {
      const ts =
        already ?? (await post(channel, renderNotification(n, render), attemptId, undefined, senderOf(n)));
      await store.save(channel, ts, initialState(n));
      return ts;
    }
    if (already) return already;
    if (step.update) await updateOriginal(channel, step.thread, n);
    try {
      return await post(
        channel,
        renderThreadReply(n, render),
        attemptId,
        { ts: step.thread, broadcast: step.broadcast },
        senderOf(n),
      );
    } catch (err) {
      if (platformError(err) !== 'thread_not_found') throw err;
      // The announcing message was deleted: say it in the channel instead.
      const ts = await post(channel, renderNotification(n, render), attemptId, undefined, senderOf(n));
      await store.save(channel, ts, initialState(n));
      return ts;
    }
  }

  /**
   * The message carrying this attempt id in the channel (or one thread) since the notification was made, and
   * whether it was a digest of several notifications.
   */
  async function find(
    channel: string,
    attemptId: string,
    oldest: string,
    thread?: string,
  ): Promise<{ ts: string; digest: boolean } | null> {
    let cursor: string | undefined;
    for (let page = 0; page < RECONCILE_PAGES; page++) {
      const base = { channel, oldest, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) };
      const res = thread
        ? await client.conversations.replies({ ...base, ts: thread })
        : await client.conversations.history(base);
      for (const m of (res.messages ?? []) as MessageHit[]) {
        if (m.metadata?.event_type !== METADATA_EVENT || !m.ts) continue;
        const p = m.metadata.event_payload ?? {};
        const ids = Array.isArray(p.attempt_ids) ? (p.attempt_ids as unknown[]) : null;
        if (p.attempt_id === attemptId || ids?.includes(attemptId)) return { ts: m.ts, digest: ids !== null };
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    log.warn(
      { channel, thread, pages: RECONCILE_PAGES, oldest },
      'earlier post not found in the newest messages of the window; sending again (a duplicate is possible)',
    );
    return null;
  }

  /** Looks for the posts of an interrupted delivery; null (with what was found kept for deliver) if any is missing. */
  async function lookUp(ctx: DeliveryContext): Promise<Delivered | null> {
    const steps = planDelivery(ctx.notification, ctx.priorRefs);
    // Only messages since the first attempt began can be its posts (the notification may have waited long before).
    const since = Math.max(Date.parse(ctx.notification.created_at), ctx.firstAttemptAt?.getTime() ?? 0);
    const oldest = String(Math.floor(since / 1000) - SKEW_S);
    const found = new Map<string, string>();
    const look = async (step: Step | null) => {
      try {
        return await find(
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
      done.set(ctx, found);
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

  return {
    name: 'slack',
    routes: (n) => routeChannels(config, n),

    async deliver(ctx) {
      let release = held.get(ctx);
      held.delete(ctx);
      if (!release) {
        const l = await lock(ctx.attemptId);
        release = l.release;
        if (l.contended) {
          // Another copy of this delivery ran while we waited: it may have posted.
          const already = await lookUp(ctx).catch((err: unknown) => {
            l.release();
            throw err;
          });
          if (already) {
            l.release();
            return already;
          }
        }
      }
      const found = done.get(ctx) ?? new Map<string, string>();
      done.delete(ctx);
      try {
        let first: string | null = null;
        for (const step of planDelivery(ctx.notification, ctx.priorRefs)) {
          const ts = await runStep(ctx, step, found).catch((err: unknown) => {
            throw toDeliveryError(err, `slack channel ${ctx.channel}`);
          });
          first ??= ts;
        }
        return { ref: first };
      } finally {
        release();
      }
    },

    /**
     * A burst past the channel's rate (see withBurstDigest): the originals are still edited, then one message
     * lists every alert of the burst, carrying all their attempt ids for reconcile.
     */
    async deliverDigest(channel, items) {
      try {
        for (const item of items) {
          if (!UPDATES_ORIGINAL.has(item.notification.transition)) continue;
          for (const step of planDelivery(item.notification, item.priorRefs)) {
            if (step.kind === 'reply') {
              await updateOriginal(channel, step.thread, { ...item.notification, alerts: step.alerts });
            }
          }
        }
        const state = digestState(items.map((i) => i.notification));
        const ts = await post(
          channel,
          renderMessage(state, render),
          items.map((i) => i.attemptId),
          undefined,
          senderOf(items.map((i) => i.notification)),
        );
        await store.save(channel, ts, state);
        log.info({ channel, notifications: items.length }, 'burst over the channel rate sent as a digest');
        return { ref: ts };
      } catch (err) {
        throw toDeliveryError(err, `slack channel ${channel}`);
      } finally {
        // The digest stood in for each item's deliver: release what their reconcile held.
        for (const item of items) {
          held.get(item)?.();
          held.delete(item);
          done.delete(item);
        }
      }
    },

    async reconcile(ctx): Promise<Delivered | null> {
      const { release } = await lock(ctx.attemptId);
      try {
        const found = await lookUp(ctx);
        if (found) {
          release();
          return found;
        }
        // Held until the deliver call that follows, so no other copy reconciles in between.
        held.set(ctx, release);
        return null;
      } catch (err) {
        release();
        throw err;
      }
    },
  };
}
