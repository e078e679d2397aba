import type { AlertSubscription, subscription } from '@tocsin/events';
import type { z } from 'zod';

export type Subscription = z.output<typeof subscription>;

/**
 * Subscriptions by (kind, chain, target), for rules that tag or fan out to subscribers; and the alert subscriptions
 * (`$subscribe`): the immediate ones tag their owner on every alert of their chain or source, the others are
 * summarised in digests (subscriptions/digest.ts).
 */
export class SubscriptionIndex {
  readonly #by = new Map<string, Subscription[]>();
  readonly #immediate = new Map<string, string[]>();
  /** The hourly and daily alert subscriptions. */
  readonly digests: AlertSubscription[];

  constructor(
    readonly all: Subscription[] = [],
    alerts: AlertSubscription[] = [],
  ) {
    for (const s of all) {
      const k = key(s.kind, s.chain_id, s.target);
      const l = this.#by.get(k);
      if (l) l.push(s);
      else this.#by.set(k, [s]);
    }
    this.digests = alerts.filter((s) => s.cadence !== 'immediate');
    for (const s of alerts) {
      if (s.cadence !== 'immediate') continue;
      const k = `${s.scope}\u0000${s.value}`;
      const l = this.#immediate.get(k);
      if (l) l.push(s.owner);
      else this.#immediate.set(k, [s.owner]);
    }
  }

  find(kind: string, chainId: string, target: string): Subscription[] {
    return this.#by.get(key(kind, chainId, target)) ?? [];
  }

  /** The owners tagged on every alert of this source or chain (immediate alert subscriptions). */
  immediate(source: string, chainId: string): string[] {
    if (this.#immediate.size === 0) return [];
    return [
      ...(this.#immediate.get(`source\u0000${source}`) ?? []),
      ...(this.#immediate.get(`chain\u0000${chainId}`) ?? []),
    ];
  }
}

function key(kind: string, chainId: string, target: string): string {
  return `${kind}\u0000${chainId}\u0000${target}`;
}
