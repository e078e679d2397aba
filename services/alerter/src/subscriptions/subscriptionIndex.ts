import type { subscription } from '@tocsin/events';
import type { z } from 'zod';

export type Subscription = z.output<typeof subscription>;

/** Subscriptions by (kind, chain, target), for rules that tag or fan out to subscribers. */
export class SubscriptionIndex {
  readonly #by = new Map<string, Subscription[]>();

  constructor(readonly all: Subscription[] = []) {
    for (const s of all) {
      const k = key(s.kind, s.chain_id, s.target);
      const l = this.#by.get(k);
      if (l) l.push(s);
      else this.#by.set(k, [s]);
    }
  }

  find(kind: string, chainId: string, target: string): Subscription[] {
    return this.#by.get(key(kind, chainId, target)) ?? [];
  }
}

function key(kind: string, chainId: string, target: string): string {
  return `${kind}\u0000${chainId}\u0000${target}`;
}
