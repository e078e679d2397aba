import type { Delivered, DeliveryContext, Provider } from './provider.ts';

export interface BurstOptions {
  /** New messages a channel takes at once before the rest of a burst is coalesced: `burst` per `perMs`. */
  burst: number;
  perMs: number;
  /** At most this many notifications in one digest (the rest wait for the next slot). */
  maxDigest?: number;
  now?: () => number;
  /** How the gate waits for the channel's next slot (injected in tests). */
  wait?: (ms: number) => Promise<void>;
}

interface Waiting {
  ctx: DeliveryContext;
  resolve(d: Delivered): void;
  reject(err: unknown): void;
}

interface Gate {
  tokens: number;
  at: number;
  queue: Waiting[];
  draining: boolean;
}

/** A provider that can post several notifications for one channel as one digest message. */
export type DigestingProvider = Provider & Required<Pick<Provider, 'deliverDigest'>>;

/**
 * Rate-aware delivery per channel: while a channel has room (a token bucket of `burst` per `perMs`) each
 * notification is its own message; past it, notifications queue and go out together as one digest when the next
 * slot opens. Nothing is dropped: every caller settles with the message that carried it (or its error). Deliveries
 * that only edit (`posts(ctx) === false`) bypass the gate.
 */
export function withBurstDigest(provider: DigestingProvider, opts: BurstOptions): Provider {
  const now = opts.now ?? Date.now;
  const wait = opts.wait ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxDigest = opts.maxDigest ?? 50;
  const gates = new Map<string, Gate>();

  const refill = (g: Gate) => {
    const t = now();
    g.tokens = Math.min(opts.burst, g.tokens + ((t - g.at) * opts.burst) / opts.perMs);
    g.at = t;
  };

  async function drain(channel: string, g: Gate): Promise<void> {
    g.draining = true;
    try {
      while (g.queue.length) {
        refill(g);
        if (g.tokens < 1) {
          await wait(Math.ceil(((1 - g.tokens) * opts.perMs) / opts.burst));
          refill(g);
        }
        g.tokens = Math.max(0, g.tokens - 1);
        const batch = g.queue.splice(0, maxDigest);
        try {
          const delivered =
            batch.length === 1
              ? await provider.deliver(batch[0]!.ctx)
              : await provider.deliverDigest(
                  channel,
                  batch.map((w) => w.ctx),
                );
          for (const w of batch) w.resolve(delivered);
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      g.draining = false;
    }
  }

  return {
    name: provider.name,
    routes: (n) => provider.routes(n),
    ...(provider.reconcile ? { reconcile: (ctx: DeliveryContext) => provider.reconcile!(ctx) } : {}),
    deliverDigest: (channel, items) => provider.deliverDigest(channel, items),
    ...(provider.posts ? { posts: (ctx: DeliveryContext) => provider.posts!(ctx) } : {}),
    ...(provider.channelKind ? { channelKind: (c: string) => provider.channelKind!(c) } : {}),
    deliver(ctx) {
      if (provider.posts?.(ctx) === false) return provider.deliver(ctx);
      let g = gates.get(ctx.channel);
      if (!g) {
        g = { tokens: opts.burst, at: now(), queue: [], draining: false };
        gates.set(ctx.channel, g);
      }
      refill(g);
      if (!g.queue.length && !g.draining && g.tokens >= 1) {
        g.tokens -= 1;
        return provider.deliver(ctx);
      }
      const gate = g;
      return new Promise<Delivered>((resolve, reject) => {
        gate.queue.push({ ctx, resolve, reject });
        if (!gate.draining) void drain(ctx.channel, gate);
      });
    },
  };
}
