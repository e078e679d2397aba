import { createHmac } from 'node:crypto';
import type { Notification } from '@tocsin/events';
import { DeliveryError, type Provider } from '@tocsin/notify';
import { Agent, type Dispatcher } from 'undici';

export interface WebhookTarget {
  name: string;
  url: string;
  /** HMAC-SHA256 key; receivers verify `X-Tocsin-Signature`. */
  secret?: string;
  timeoutMs?: number;
  filter?: (n: Notification) => boolean;
}

/** `sha256=<hex hmac of "<timestamp>.<body>">`, like Stripe/GitHub-style signatures. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Generic webhook: the notification as JSON, signed, with an Idempotency-Key that stays the same across retries
 * so receivers can drop duplicates; an incident's updates carry X-Tocsin-Incident (and X-Tocsin-Update-Of). 5xx, 408, 429 and network errors retry; other 4xx are permanent.
 */
export function webhookProvider(targets: WebhookTarget[], now: () => number = Date.now): Provider {
  // Each target's URL parsed once (undici's top-level `request(url)` parses it on every call).
  const byName = new Map(
    targets.map((t) => {
      const u = new URL(t.url);
      return [t.name, { ...t, origin: u.origin, path: `${u.pathname}${u.search}` }];
    }),
  );
  // Kept-alive connections (undici's pool), and undici's own timeouts: fetch cost an AbortSignal, a stream for the
  // body and a Response per call, a large share of the notifier's CPU in a burst.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  return {
    name: 'webhook',
    routes: (n) => targets.filter((t) => !t.filter || t.filter(n)).map((t) => t.name),
    async deliver({ notification, channel, attemptId, priorRefs }) {
      const t = byName.get(channel);
      if (!t) throw new DeliveryError(`no webhook target "${channel}"`, false);
      const body = JSON.stringify(notification);
      const ts = String(Math.floor(now() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'tocsin-notifier',
        'idempotency-key': attemptId,
        'x-tocsin-timestamp': ts,
      };
      // One incident keeps one id across its updates (its group key); a grown incident (a later firing listing the
      // members already sent) is an update of the message the receiver answered for them (its X-Message-Id).
      const grownFrom =
        notification.incident && notification.transition === 'firing'
          ? [...new Set(priorRefs.values())][0]
          : undefined;
      if (notification.incident) headers['x-tocsin-incident'] = notification.group.key;
      if (grownFrom) headers['x-tocsin-update-of'] = grownFrom;
      if (t.secret) headers['x-tocsin-signature'] = signWebhook(t.secret, ts, body);
      let res: Dispatcher.ResponseData;
      const timeout = t.timeoutMs ?? 10_000;
      try {
        res = await agent.request({
          origin: t.origin,
          path: t.path,
          method: 'POST',
          headers,
          body,
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        await res.body.dump();
      } catch (err) {
        throw new DeliveryError(`webhook ${t.name}: ${(err as Error).message}`, true);
      }
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        const id = res.headers['x-message-id'];
        return { ref: grownFrom ?? (Array.isArray(id) ? id[0] : id) ?? null };
      }
      const retry = status >= 500 || status === 408 || status === 429;
      throw new DeliveryError(`webhook ${t.name}: HTTP ${status}`, retry, status);
    },
  };
}
