import { createHash } from 'node:crypto';
import type { Alert, Notification } from '@tocsin/events';
import {
  type Delivered,
  type DeliveryContext,
  type DigestingProvider,
  routeChannels,
  senderOf,
} from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';
import type { CardStore } from './cardStore.ts';
import type { DiscordConfig } from './config.ts';
import { deliveryErrorOf, isUnknownMessage } from './failures.ts';
import {
  type Card,
  footerRefs,
  markerOf,
  type RenderOptions,
  renderCard,
  renderCardEdit,
  updateCard,
} from './render/card.ts';
import type { DiscordTransport } from './transport.ts';

/** The one "channel" of webhook-only mode: the webhook posts where it was created. */
export const WEBHOOK_CHANNEL = 'webhook';
/**
 * How many of a channel's newest messages reconcile pages through, within its window (the messages since the
 * first attempt began), for a message it may have posted before a crash; past it, the post is taken as missing.
 */
const RECONCILE_MAX = 2_000;
/** Clock skew allowed between the delivery log's clock (PostgreSQL, which stamps the first attempt) and Discord's. */
const SKEW_MS = 120_000;
/** Transitions that post a new message even when the original exists (as a reply to it). */
const REPLYING = new Set(['resolved', 'repeat', 'escalated']);

/** Discord nonces are at most 25 characters; part 0 uses the attempt id itself. */
export function nonceOf(base: string, part: number): string {
  return part === 0 ? base.slice(0, 25) : `${base.slice(0, 20)}-${part}`;
}

export interface DiscordProviderDeps {
  transport: DiscordTransport;
  store: CardStore;
  config: DiscordConfig;
  log: Pick<Logger, 'warn' | 'info'>;
}

/**
 * Notifications as Discord messages. A firing alert (or group, or notice) is a new message whose card is
 * stored; later transitions of the same episodes edit that message in place (acknowledged, resolved colour
 * and time) and, for resolves, repeats and escalations, reply to it. Exactly once per (notification, channel):
 * the delivery log decides whether to deliver, each post carries a nonce with `enforce_nonce` (a resend returns
 * the message already created), and reconcile finds a message posted just before a crash by its footer marker.
 */
export function discordProvider(deps: DiscordProviderDeps): DigestingProvider & {
  renderOptions: RenderOptions;
  updateCardMessages(channel: string, messageId: string, change: (card: Card) => Card): Promise<boolean>;
} {
  const { transport, store, config, log } = deps;
  const renderOptions: RenderOptions = {
    mentions: config.mentions,
    explorers: config.explorers,
    buttons: transport.mode === 'bot',
  };

  /** Re-renders a stored card after `change` and edits its messages; false if the card or message is gone. */
  async function updateCardMessages(channel: string, messageId: string, change: (card: Card) => Card) {
    try {
      const updated = await store.update(channel, messageId, async (stored) => {
        const card = change(stored.card);
        const parts = renderCardEdit(card, renderOptions);
        const partIds = [...stored.partIds];
        for (const [i, body] of parts.entries()) {
          const id = partIds[i];
          if (id) {
            await transport.edit(channel, id, body);
          } else {
            // The card grew past its parts (e.g. acknowledgements lengthened the lines): post the rest.
            const nonce = `x${createHash('sha256').update(`${stored.messageId}:${i}`).digest('hex').slice(0, 22)}`;
            const posted = await transport.post(
              channel,
              { ...body, allowed_mentions: { parse: [], users: [], roles: [] } },
              {
                nonce,
                ...(transport.mode === 'bot' ? { replyTo: stored.messageId } : {}),
              },
            );
            partIds.push(posted.id);
          }
        }
        return { ...stored, partIds, card };
      });
      return updated !== null;
    } catch (err) {
      if (isUnknownMessage(err)) {
        log.warn({ channel, message: messageId }, 'alert message was deleted; posting a new one');
        return false;
      }
      throw err;
    }
  }

  /** Posts a card's parts (skipping those `known` to exist already) and stores it when it is a full card. */
  async function postCard(
    channel: string,
    card: Card,
    opts: { compact: boolean; replyTo?: string; nonceBase: string; known?: Map<number, string> },
  ): Promise<string[]> {
    const bodies = renderCard(card, { ...renderOptions, compact: opts.compact });
    const ids: string[] = [];
    for (const [i, body] of bodies.entries()) {
      const known = opts.known?.get(i);
      if (known) {
        ids.push(known);
        continue;
      }
      const replyTo = i === 0 && transport.mode === 'bot' ? opts.replyTo : undefined;
      const posted = await transport.post(channel, body, {
        nonce: nonceOf(opts.nonceBase, i),
        ...(replyTo ? { replyTo } : {}),
        sender: senderOf(card.notifications),
      });
      ids.push(posted.id);
    }
    if (!opts.compact) await store.save(channel, ids, card);
    return ids;
  }

  /** Edits the messages that announced these alerts' episodes; returns those that still exist. */
  async function editOriginals(
    channel: string,
    priorRefs: Map<string, string>,
    alerts: Alert[],
  ): Promise<string[]> {
    const edited: string[] = [];
    for (const ref of new Set(priorRefs.values())) {
      if (await updateCardMessages(channel, ref, (card) => updateCard(card, alerts))) edited.push(ref);
    }
    return edited;
  }

  async function deliverOne(ctx: DeliveryContext, known?: Map<number, string>): Promise<Delivered> {
    const n = ctx.notification;
    const marker = markerOf(ctx.attemptId);
    let edited: string[] = [];
    if (n.incident && n.transition === 'firing' && ctx.priorRefs.size > 0) {
      // An incident that grew (it lists its members already announced): its message becomes the whole incident.
      for (const ref of new Set(ctx.priorRefs.values()))
        if (await updateCardMessages(ctx.channel, ref, (card) => ({ ...card, notifications: [n] })))
          return { ref };
    }
    if (n.transition !== 'firing' && n.transition !== 'notice') {
      edited = await editOriginals(ctx.channel, ctx.priorRefs, n.alerts);
      if (edited.length && !REPLYING.has(n.transition)) return { ref: edited[0]! };
    }
    const card: Card = { notifications: [n], refs: [marker] };
    const ids = await postCard(ctx.channel, card, {
      compact: edited.length > 0,
      ...(edited[0] ? { replyTo: edited[0] } : {}),
      nonceBase: ctx.attemptId,
      ...(known ? { known } : {}),
    });
    return { ref: ids[0] ?? null };
  }

  const wrap = async <T>(channel: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw deliveryErrorOf(err, channel);
    }
  };

  return {
    name: 'discord',
    renderOptions,
    updateCardMessages,

    routes(n: Notification) {
      if (transport.mode === 'webhook') {
        const any = routeChannels(
          { ...config, default_channel: config.default_channel ?? WEBHOOK_CHANNEL },
          n,
        );
        return any.length ? [WEBHOOK_CHANNEL] : [];
      }
      return routeChannels(config, n);
    },

    channelKind: () => (transport.mode === 'webhook' ? 'webhook' : 'channel'),

    posts(ctx) {
      const t = ctx.notification.transition;
      return !(
        (t === 'acknowledged' ||
          t === 'retracted' ||
          t === 'flapping' ||
          (t === 'firing' && ctx.notification.incident)) &&
        ctx.priorRefs.size > 0
      );
    },

    deliver: (ctx) => wrap(ctx.channel, () => deliverOne(ctx)),

    /**
     * After a crash between posting and recording: the bot's recent messages carry the delivery's marker in their
     * footer. Found parts are reused and the rest is completed; a digest that carried it is the answer as is.
     * Webhooks cannot list messages: null, and the resend relies on Discord having nothing (at-least-once).
     */
    reconcile: (ctx) =>
      wrap(ctx.channel, async () => {
        if (!transport.recent) return null;
        const marker = markerOf(ctx.attemptId);
        const known = new Map<number, string>();
        // Only messages since the first attempt began can be its posts (the notification may have waited long
        // before); a busy channel can have had many since, so the walk is bounded by time, not by a count.
        const since =
          Math.max(Date.parse(ctx.notification.created_at), ctx.firstAttemptAt?.getTime() ?? 0) - SKEW_MS;
        const { messages, complete } = await transport.recent(ctx.channel, since, RECONCILE_MAX);
        for (const m of messages) {
          for (const footer of m.footers) {
            const refs = footerRefs(footer);
            if (!refs?.refs.includes(marker)) continue;
            if (refs.refs.length > 1) return { ref: m.id };
            if (!known.has(refs.part)) known.set(refs.part, m.id);
          }
        }
        if (!known.size) {
          if (!complete)
            log.warn(
              { channel: ctx.channel, messages: RECONCILE_MAX },
              'earlier post not found in the newest messages of the window; sending again (a duplicate is possible)',
            );
          return null;
        }
        log.info(
          { channel: ctx.channel, key: ctx.notification.key },
          'found a message posted before a restart',
        );
        return deliverOne(ctx, known);
      }),

    deliverDigest: (channel, items) =>
      wrap(channel, async () => {
        for (const item of items) {
          const t = item.notification.transition;
          if (t !== 'firing' && t !== 'notice')
            await editOriginals(channel, item.priorRefs, item.notification.alerts);
        }
        const card: Card = {
          notifications: items.map((i) => i.notification),
          refs: items.map((i) => markerOf(i.attemptId)),
        };
        const nonceBase = createHash('sha256')
          .update(items.map((i) => i.attemptId).join(','))
          .digest('hex')
          .slice(0, 25);
        const ids = await postCard(channel, card, { compact: false, nonceBase });
        log.info({ channel, notifications: items.length }, 'burst over the channel rate sent as a digest');
        return { ref: ids[0] ?? null };
      }),
  };
}
