import { burnRate, toDisplay } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import type { ImportantAddress } from './config.ts';
import type { NodeConnection } from './connections.ts';
import type { Header } from './fork/forkMonitor.ts';
import { blockRef, eventsOut as E, type Outgoing } from './publish.ts';
import { recordBalance } from './store/state.ts';

export interface BalanceOptions {
  pool: Pool;
  chainId: string;
  decimals: number;
  historyMs: number;
  burnWindowMs: number;
}

/**
 * Reads the free and reserved balance of each important address at a best-fork block (System.Account), keeps the
 * samples, and reports each with its burn rate: balances are watched whether or not the address pays a fee.
 */
export async function pollBalances(
  node: NodeConnection,
  at: Header,
  addresses: ImportantAddress[],
  nowMs: number,
  o: BalanceOptions,
): Promise<Outgoing[]> {
  const api = node.api;
  if (!api || !addresses.length) return [];
  const scoped = await api.at(at.hash);
  const events: Outgoing[] = [];
  for (const a of addresses) {
    // biome-ignore lint/suspicious/noExplicitAny: System.Account is decorated from the metadata at runtime
    const query = scoped.query as any;
    const info = await query.system.account(a.address);
    const free = BigInt(info.data.free.toString());
    const reserved = BigInt(info.data.reserved.toString());
    const samples = await recordBalance(
      o.pool,
      o.chainId,
      a.address,
      { atMs: nowMs, amount: free },
      nowMs - o.historyMs,
    );
    const rate = burnRate(samples, nowMs, o.burnWindowMs, o.decimals);
    events.push(
      E.make(E.addressBalance, `${a.address}:${at.hash}`, {
        address: a.address,
        label: a.label,
        free: free.toString(),
        reserved: reserved.toString(),
        display_amount: toDisplay(free, o.decimals),
        threshold: a.threshold,
        burn_per_hour: rate.burnPerHour,
        projected_empty_at: rate.projectedEmptyAt,
        projected_empty_s: rate.projectedEmptyS,
        block: blockRef(at),
      }),
    );
  }
  return events;
}
