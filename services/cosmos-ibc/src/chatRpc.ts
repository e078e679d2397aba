import { RpcError, serveRpc } from '@tocsin/bus';
import { cosmosIbcRpc, type ibcClientSummary, type walletSummary } from '@tocsin/events';
import { type ServiceContext, toDisplay } from '@tocsin/runtime';
import type { z } from 'zod';
import { clientStatusData } from './clientObservation.ts';
import { type CosmosIbcIngestor, isUnknownChain } from './ingestor.ts';
import { readBalances } from './store/walletHistory.ts';

/** Reply bodies stay under NATS' max payload (1 MB by default); a long client list is cut, most urgent first. */
const REPLY_BUDGET_BYTES = 900_000;

/**
 * `<prefix>.rpc.cosmos-ibc.{chains, clients, wallets, recheck}` for chat commands ($data, $wallets, $recheck) and
 * the console, plus `wallet_history` (the stored balance samples) for the console's chart. Answers come from the
 * latest scan; times left are computed for now.
 */
export function serveChatRpc(
  ctx: ServiceContext,
  ingestor: CosmosIbcIngestor,
  opts: { burnWindowMs: number },
): void {
  const subject = (method: string) => ctx.subjects.rpc('cosmos-ibc', method);
  const common = { nc: ctx.nc, queue: 'cosmos-ibc', log: ctx.log };
  const knownChain = (chainId: string | undefined) => {
    if (chainId && !ingestor.views().some((v) => v.config.chain_id === chainId))
      throw new RpcError('not_found', `chain "${chainId}" is not watched`);
  };

  const subs = [
    serveRpc({
      ...common,
      subject: subject('chains'),
      schema: cosmosIbcRpc.chains.request,
      handler: async () => ({
        chains: ingestor.views().map((v) => ({
          chain_id: v.config.chain_id,
          name: v.config.name ?? v.config.chain_id,
          denom: v.config.denom,
          display_denom: v.config.display_denom,
          exponent: v.config.exponent,
        })),
      }),
    }),
    serveRpc({
      ...common,
      subject: subject('clients'),
      schema: cosmosIbcRpc.clients.request,
      handler: async (req) => {
        knownChain(req.chain_id);
        const now = ctx.clock.now();
        const views = ingestor.views().filter((v) => !req.chain_id || v.config.chain_id === req.chain_id);
        const all: z.infer<typeof ibcClientSummary>[] = [];
        for (const v of views) {
          for (const o of v.clients.values()) {
            if (req.status && o.status.toLowerCase() !== req.status.toLowerCase()) continue;
            const d = clientStatusData({ ...o, observedAtMs: now });
            all.push({
              chain_id: o.chainId,
              client_id: o.clientId,
              client_type: o.clientType,
              counterparty_chain_id: o.counterpartyChainId,
              status: o.status,
              trusting_period_s: o.trustingPeriodS,
              remaining_s: d.remaining_s,
              elapsed_ratio: d.elapsed_ratio,
              last_update: d.last_update,
            });
          }
        }
        all.sort(
          (a, b) =>
            (a.remaining_s ?? Number.POSITIVE_INFINITY) - (b.remaining_s ?? Number.POSITIVE_INFINITY) ||
            a.chain_id.localeCompare(b.chain_id) ||
            a.client_id.localeCompare(b.client_id),
        );
        const scans = views.map((v) => v.scannedAtMs).filter((t): t is number => t !== null);
        let clients = req.limit ? all.slice(0, req.limit) : all;
        let size = JSON.stringify(clients).length;
        while (size > REPLY_BUDGET_BYTES && clients.length) {
          clients = clients.slice(0, Math.floor((clients.length * REPLY_BUDGET_BYTES) / size) - 1);
          size = JSON.stringify(clients).length;
        }
        return {
          clients,
          scanned_at: scans.length ? new Date(Math.max(...scans)).toISOString() : null,
          total: all.length,
        };
      },
    }),
    serveRpc({
      ...common,
      subject: subject('wallets'),
      schema: cosmosIbcRpc.wallets.request,
      handler: async (req) => {
        knownChain(req.chain_id);
        const wallets: z.infer<typeof walletSummary>[] = [];
        for (const v of ingestor.views()) {
          if (req.chain_id && v.config.chain_id !== req.chain_id) continue;
          for (const w of v.wallets.values()) {
            if (req.owner && !w.data.subscribers.some((s) => s.owner === req.owner)) continue;
            wallets.push({
              chain_id: w.chainId,
              address: w.address,
              denom: w.data.denom,
              display_denom: w.data.display_denom,
              display_amount: w.data.display_amount,
              projected_empty_s: w.data.projected_empty_s,
              observed_at: new Date(w.observedAtMs).toISOString(),
            });
          }
        }
        return { wallets };
      },
    }),
    serveRpc({
      ...common,
      subject: subject('wallet_history'),
      schema: cosmosIbcRpc.wallet_history.request,
      handler: async (req) => {
        const view = ingestor.views().find((v) => v.config.chain_id === req.chain_id);
        if (!view) throw new RpcError('not_found', `chain "${req.chain_id}" is not watched`);
        const w = view.wallets.get(req.address);
        if (!w) throw new RpcError('not_found', `wallet ${req.address} is not tracked on ${req.chain_id}`);
        const c = view.config;
        const since = req.since ? Date.parse(req.since) : ctx.clock.now() - opts.burnWindowMs;
        const samples = await readBalances(
          ctx.pool,
          { chainId: c.chain_id, address: req.address, denom: c.denom },
          since,
        );
        const empty = w.data.projected_empty_s;
        return {
          denom: c.denom,
          display_denom: c.display_denom,
          points: samples.map((s) => ({
            t: new Date(s.atMs).toISOString(),
            amount: toDisplay(s.amount, c.exponent),
          })),
          projected_empty_at: empty === null ? null : new Date(w.observedAtMs + empty * 1000).toISOString(),
        };
      },
    }),
    serveRpc({
      ...common,
      subject: subject('recheck'),
      schema: cosmosIbcRpc.recheck.request,
      handler: async (req) => {
        knownChain(req.chain_id);
        try {
          return { rechecked: await ingestor.recheck(req.chain_id, req.client_id) };
        } catch (err) {
          if (isUnknownChain(err)) throw new RpcError('not_found', err.message);
          throw err;
        }
      },
    }),
  ];
  ctx.onStop(() => {
    for (const s of subs) s.unsubscribe();
  });
}
