import type { CometEvent } from './cometEvents.ts';
import { type EventQuery, matchesEventQuery, parseEventQuery } from './eventQuery.ts';
import type { RpcId } from './rpcMethods.ts';

/** Where a subscription's events go; the WebSocket layer supplies it. */
export interface Subscriber {
  send(message: string): void;
}

interface Subscription {
  chainId: string;
  id: RpcId;
  query: string;
  conditions: EventQuery;
}

/** CometBFT's default `max_subscriptions_per_client`. */
const MAX_SUBSCRIPTIONS_PER_CLIENT = 5;

/**
 * Subscriptions of all WebSocket clients, by chain. As in CometBFT, every event is sent as a JSON-RPC response
 * carrying the subscribe request's id, with `query` set (cosmjs ignores responses without it).
 */
export class SubscriptionHub {
  private readonly byClient = new Map<Subscriber, Map<string, Subscription>>();

  subscribe(client: Subscriber, chainId: string, id: RpcId, query: string): void {
    const conditions = parseEventQuery(query);
    const subs = this.byClient.get(client) ?? new Map<string, Subscription>();
    if (subs.has(query)) throw new Error('already subscribed');
    if (subs.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) throw new Error('max_subscriptions_per_client 5 reached');
    subs.set(query, { chainId, id, query, conditions });
    this.byClient.set(client, subs);
  }

  unsubscribe(client: Subscriber, query: string): void {
    if (!this.byClient.get(client)?.delete(query)) throw new Error('subscription not found');
  }

  unsubscribeAll(client: Subscriber): void {
    this.byClient.delete(client);
  }

  /** Delivers an event to every matching subscription on the chain; returns how many got it. */
  publish(chainId: string, event: CometEvent): number {
    let delivered = 0;
    for (const [client, subs] of this.byClient) {
      for (const sub of subs.values()) {
        if (sub.chainId !== chainId || !matchesEventQuery(sub.conditions, event.events)) continue;
        client.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: sub.id,
            result: { query: sub.query, data: event.data, events: event.events },
          }),
        );
        delivered++;
      }
    }
    return delivered;
  }

  count(chainId?: string): number {
    let n = 0;
    for (const subs of this.byClient.values()) {
      for (const s of subs.values()) if (chainId === undefined || s.chainId === chainId) n++;
    }
    return n;
  }
}
