import type { WebClient } from '@slack/web-api';
import { type Delivered, type DeliveryContext, type DigestingProvider, routeChannels } from '@tocsin/notify';
import type { Logger } from '@tocsin/runtime';
import { toDeliveryError } from './client.ts';
import type { SlackConfig } from './config.ts';
import { deliverDigest } from './delivery/digest.ts';
import { lookUp } from './delivery/reconcile.ts';
import type { SlackDelivery } from './delivery/shared.ts';
import { runStep } from './delivery/steps.ts';
import { keyedLock } from './keyedLock.ts';
import type { MessageStore } from './messages.ts';
import { planDelivery } from './plan.ts';

export { METADATA_EVENT } from './delivery/shared.ts';

export interface SlackProviderOptions {
  client: WebClient;
  config: Pick<
    SlackConfig,
    'default_channel' | 'routes' | 'mentions' | 'username' | 'icon_url' | 'icon_emoji'
  >;
  store: MessageStore;
  log: Logger;
}

/**
 * Slack as a notifier. Slack has no idempotency key, so each post carries the attempt id in its message metadata;
 * after a crash between posting and recording, `reconcile` looks for it in the channel (or thread) before anything
 * is sent again. One stage per file under delivery/: post, edit (the announcing message), steps (post or reply),
 * reconcile, digest.
 */
export function slackProvider(opts: SlackProviderOptions): DigestingProvider {
  const { client, config, store, log } = opts;
  const d: SlackDelivery = {
    client,
    store,
    log,
    render: { mentions: config.mentions },
    identity: {
      username: config.username,
      ...(config.icon_url
        ? { icon_url: config.icon_url }
        : config.icon_emoji
          ? { icon_emoji: config.icon_emoji }
          : {}),
    },
    done: new WeakMap(),
    held: new WeakMap(),
  };
  const { done, held } = d;
  /**
   * JetStream can hand one process two copies of a message at once (a redelivery while the first copy is still
   * being handled). The delivery log lets the second copy through, so each copy's reconcile + deliver runs under
   * a per-attempt lock, and a copy that had to wait looks in Slack before posting: it finds the first copy's post
   * instead of racing it. (Copies handled by two replicas at once are kept apart by the delivery log's lease, and
   * the consume loop extends the ack deadline of a slow delivery so that JetStream does not hand it out again.)
   */
  const lock = keyedLock();

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
          const already = await lookUp(d, ctx).catch((err: unknown) => {
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
          const ts = await runStep(d, ctx, step, found).catch((err: unknown) => {
            throw toDeliveryError(err, `slack channel ${ctx.channel}`);
          });
          first ??= ts;
        }
        return { ref: first };
      } finally {
        release();
      }
    },

    deliverDigest: (channel, items) => deliverDigest(d, channel, items),

    async reconcile(ctx: DeliveryContext): Promise<Delivered | null> {
      const { release } = await lock(ctx.attemptId);
      try {
        const found = await lookUp(d, ctx);
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
