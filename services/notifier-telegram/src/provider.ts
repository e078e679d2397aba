import type { Alert, Notification } from '@tocsin/events';
import {
  type Delivered,
  type DeliveryContext,
  DeliveryError,
  type DigestingProvider,
  routeChannels,
} from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';
import { type Api, GrammyError, HttpError } from 'grammy';
import { parseChannel, routesOf, type TelegramConfig } from './config.ts';
import {
  applyTransition,
  digestState,
  keyboard,
  type MessageState,
  type RenderOptions,
  renderMessage,
  renderReply,
} from './render.ts';
import type { TelegramStore } from './store.ts';

/** Transitions that change how the original message looks (edited in place). */
const EDITS = new Set(['resolved', 'acknowledged', 'retracted', 'flapping']);
/** Transitions that also reply under the original (an acknowledgement only edits it). */
const REPLIES = new Set(['resolved', 'repeat', 'escalated']);

/** A Bot API failure as a delivery error: 429, 5xx and network failures retry later; other 4xx are permanent. */
export function toDeliveryError(err: unknown, where: string): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof GrammyError) {
    const code = err.error_code;
    const retry = code === 429 || code >= 500;
    return new DeliveryError(`telegram ${where}: ${err.description}`, retry, code);
  }
  if (err instanceof HttpError) return new DeliveryError(`telegram ${where}: ${err.message}`, true, null);
  return new DeliveryError(`telegram ${where}: ${(err as Error).message ?? String(err)}`, true, null);
}

const notModified = (err: unknown) =>
  err instanceof GrammyError && /message is not modified/.test(err.description);
const editGone = (err: unknown) =>
  err instanceof GrammyError && /message to edit not found|message can't be edited/.test(err.description);

/** An incident that grew: its firing lists members already announced here, so their message becomes the whole. */
const grownIncident = (n: Notification, priorRefs: Map<string, string>) =>
  n.incident !== undefined && n.transition === 'firing' && priorRefs.size > 0;

type Step = { kind: 'post'; alerts: Alert[] } | { kind: 'follow'; original: number; alerts: Alert[] };

/** Firing and notices are new messages; later transitions edit and reply to the message that announced them. */
export function planDelivery(n: Notification, priorRefs: Map<string, string>): Step[] {
  if (n.transition === 'firing' || n.transition === 'notice') return [{ kind: 'post', alerts: n.alerts }];
  const byOriginal = new Map<number | null, Alert[]>();
  for (const a of n.alerts) {
    const ref = priorRefs.get(a.episode_id);
    const key = ref ? Number(ref) : null;
    byOriginal.set(key, [...(byOriginal.get(key) ?? []), a]);
  }
  const steps: Step[] = [];
  const orphans = byOriginal.get(null);
  if (orphans) steps.push({ kind: 'post', alerts: orphans });
  for (const [original, alerts] of byOriginal)
    if (original !== null) steps.push({ kind: 'follow', original, alerts });
  return steps;
}

export interface TelegramProviderOptions {
  api: Api;
  config: TelegramConfig;
  store: TelegramStore;
  log: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

export function renderOptions(config: TelegramConfig): RenderOptions {
  return {
    mentions: config.mentions,
    explorers: config.explorers,
    ...(config.dashboard_url ? { dashboardUrl: config.dashboard_url } : {}),
  };
}

/**
 * Telegram as a notifier (grammY's Api). Telegram has no idempotency key and a bot cannot read history, so every
 * message id is recorded the moment Telegram returns it (`telegram_sent`); a redelivered notification sends only
 * the steps not recorded. What remains is the moment between Telegram creating a message and its answer reaching
 * us (see the README).
 */
export function telegramProvider(opts: TelegramProviderOptions): DigestingProvider & {
  editMessage(chatId: number, messageId: number, change: (s: MessageState) => MessageState): Promise<boolean>;
} {
  const { api, config, store, log } = opts;
  const render = renderOptions(config);
  const routes = routesOf(config);

  async function send(channel: string, html: string, extra: { replyTo?: number; state?: MessageState } = {}) {
    const { chatId, threadId } = parseChannel(channel);
    const markup = extra.state ? keyboard(extra.state) : undefined;
    const m = await api.sendMessage(chatId, html, {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      ...(threadId !== undefined ? { message_thread_id: threadId } : {}),
      ...(extra.replyTo !== undefined
        ? { reply_parameters: { message_id: extra.replyTo, allow_sending_without_reply: true } }
        : {}),
      ...(markup ? { reply_markup: markup } : {}),
    });
    return m.message_id;
  }

  /** Re-renders a stored message after a change; false when it is unknown or can no longer be edited. */
  async function editMessage(chatId: number, messageId: number, change: (s: MessageState) => MessageState) {
    const state = await store.update(chatId, messageId, change);
    if (!state) {
      log.debug({ chatId, messageId }, 'no stored state for the message; not editing it');
      return false;
    }
    const markup = keyboard(state);
    try {
      await api.editMessageText(chatId, messageId, renderMessage(state, render), {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        ...(markup ? { reply_markup: markup } : {}),
      });
    } catch (err) {
      if (notModified(err)) return true;
      if (editGone(err)) {
        log.warn(
          { chatId, messageId, reason: (err as GrammyError).description },
          'original message not editable',
        );
        return false;
      }
      throw err;
    }
    return true;
  }

  /**
   * Sends once per (attempt, step): the id is recorded as soon as Telegram returns it (with the message's state,
   * in the same statement, for a new alert message).
   */
  async function once(
    ctx: DeliveryContext,
    step: string,
    sent: Map<string, number>,
    fn: () => Promise<number>,
    state?: MessageState,
  ) {
    const already = sent.get(step);
    if (already !== undefined) return already;
    const id = await fn();
    await store.recordSent(ctx.attemptId, step, parseChannel(ctx.channel).chatId, id, state);
    sent.set(step, id);
    return id;
  }

  /**
   * What earlier attempts of a delivery sent, read by reconcile. A first attempt (no reconcile: the delivery log
   * calls it for every later one) has sent nothing, so it need not ask.
   */
  const earlier = new WeakMap<DeliveryContext, Map<string, number>>();

  async function deliverSteps(ctx: DeliveryContext): Promise<Delivered> {
    const { chatId } = parseChannel(ctx.channel);
    const sent = earlier.get(ctx) ?? new Map<string, number>();
    const digest = sent.get('digest');
    if (digest !== undefined) return { ref: String(digest) };
    if (grownIncident(ctx.notification, ctx.priorRefs)) {
      const whole = ctx.notification;
      for (const ref of new Set(ctx.priorRefs.values()))
        if (await editMessage(chatId, Number(ref), (s) => ({ ...s, notification: whole }))) return { ref };
    }
    let first: number | null = null;
    for (const step of planDelivery(ctx.notification, ctx.priorRefs)) {
      const n: Notification = { ...ctx.notification, alerts: step.alerts };
      if (step.kind === 'post') {
        const state: MessageState = { notification: n };
        const recorded = sent.get('post');
        const id = await once(
          ctx,
          'post',
          sent,
          () => send(ctx.channel, renderMessage(state, render), { state }),
          state,
        );
        // Sent by an earlier attempt that may have died before storing the state (idempotent).
        if (recorded !== undefined) await store.save(chatId, id, state);
        first ??= id;
        continue;
      }
      if (EDITS.has(n.transition)) await editMessage(chatId, step.original, (s) => applyTransition(s, n));
      if (REPLIES.has(n.transition)) {
        const id = await once(ctx, `reply:${step.original}`, sent, () =>
          send(ctx.channel, renderReply(n, render), { replyTo: step.original }),
        );
        first ??= id;
      } else {
        first ??= step.original;
      }
    }
    return { ref: first === null ? null : String(first) };
  }

  return {
    name: 'telegram',
    routes: (n) => routeChannels(routes, n),
    channelKind: (channel) => {
      const { chatId, threadId } = parseChannel(channel);
      return chatId > 0 ? 'private' : threadId !== undefined ? 'topic' : 'group';
    },
    // A flapping alert's edits, and a grown incident, only edit its one message (a new one only when there is none).
    posts: (ctx) =>
      ctx.notification.transition !== 'acknowledged' &&
      !(ctx.notification.transition === 'flapping' && ctx.priorRefs.size > 0) &&
      !grownIncident(ctx.notification, ctx.priorRefs),
    editMessage,

    async deliver(ctx) {
      try {
        return await deliverSteps(ctx);
      } catch (err) {
        throw toDeliveryError(err, `chat ${ctx.channel}`);
      }
    },

    /** After a crash: everything recorded → done (nothing is sent); otherwise deliver sends what is missing. */
    async reconcile(ctx) {
      const sent = await store.sentSteps(ctx.attemptId);
      earlier.set(ctx, sent);
      const digest = sent.get('digest');
      if (digest !== undefined) return { ref: String(digest) };
      const steps = planDelivery(ctx.notification, ctx.priorRefs);
      const keys = steps.flatMap((s) =>
        s.kind === 'post'
          ? ['post']
          : REPLIES.has(ctx.notification.transition)
            ? [`reply:${s.original}`]
            : [],
      );
      if (!keys.length || !keys.every((k) => sent.has(k))) return null;
      log.info(
        { channel: ctx.channel, key: ctx.notification.key },
        'interrupted delivery had been sent; not sending again',
      );
      // Finish what the crash may have cut short: the stored state and the edits (idempotent).
      return deliverSteps(ctx).catch((err: unknown) => {
        throw toDeliveryError(err, `chat ${ctx.channel}`);
      });
    },

    /** A burst past the chat's rate: originals are still edited, then one message lists every update. */
    async deliverDigest(channel, items) {
      const { chatId } = parseChannel(channel);
      try {
        for (const item of items) {
          if (!EDITS.has(item.notification.transition)) continue;
          for (const step of planDelivery(item.notification, item.priorRefs)) {
            if (step.kind === 'follow') {
              const n = { ...item.notification, alerts: step.alerts };
              await editMessage(chatId, step.original, (s) => applyTransition(s, n));
            }
          }
        }
        const state = digestState(items.map((i) => i.notification));
        const id = await send(channel, renderMessage(state, render));
        for (const item of items) await store.recordSent(item.attemptId, 'digest', chatId, id);
        await store.save(chatId, id, state);
        log.info({ channel, notifications: items.length }, 'burst over the chat rate sent as a digest');
        return { ref: String(id) };
      } catch (err) {
        throw toDeliveryError(err, `chat ${channel}`);
      }
    },
  };
}
