import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@tocsin/runtime';
import { serveChatRpc } from './chatRpc.ts';
import { type CosmosIbcConfig, cosmosIbcConfig } from './config.ts';
import { type CosmosIbcIngestor, createIngestor } from './ingestor.ts';
import { scheduleScans } from './scanSchedule.ts';

export { type ChainConfig, type CosmosIbcConfig, cosmosIbcConfig } from './config.ts';
export type { ChainView, CosmosIbcIngestor, ScanSummary } from './ingestor.ts';

const VERSION = '0.1.0';
const ingestors = new WeakMap<ServiceContext, CosmosIbcIngestor>();

/** The running ingestor of a service started in this process: tests drive `scanOnce` and `recheck` with it. */
export function ingestorOf(ctx: ServiceContext): CosmosIbcIngestor {
  const ingestor = ingestors.get(ctx as ServiceContext);
  if (!ingestor) throw new Error('no cosmos-ibc ingestor runs with this context');
  return ingestor;
}

/**
 * cosmos-ibc: IBC light-client expiry and relayer wallet balances on Cosmos chains, read over CometBFT RPC,
 * published as events for the alerter.
 */
export const cosmosIbcService: ServiceDefinition<typeof cosmosIbcConfig> = {
  name: 'cosmos-ibc',
  version: VERSION,
  config: { section: 'cosmos_ibc', schema: cosmosIbcConfig },
  migrations: fileURLToPath(new URL('../migrations', import.meta.url)),
  defaultPort: 9463,
  async start(ctx: ServiceContext<CosmosIbcConfig>) {
    if (!ctx.section.chains.length)
      ctx.log.warn('no chains configured under cosmos_ibc.chains; nothing to watch');
    const ingestor = await createIngestor(ctx, VERSION);
    ingestors.set(ctx as ServiceContext, ingestor);
    ctx.onStop(() => ingestor.close());
    serveChatRpc(ctx as ServiceContext, ingestor, { burnWindowMs: ctx.section.burn_window });
    if (ctx.section.auto_scan) {
      const schedule = scheduleScans({
        clock: ctx.clock,
        log: ctx.log,
        chains: ctx.section.chains.map((c) => ({ chainId: c.chain_id, intervalMs: c.scan_interval })),
        scan: (chainId) => ingestor.scanOnce(chainId),
      });
      ctx.onStop(() => schedule.stop());
    }
  },
};
