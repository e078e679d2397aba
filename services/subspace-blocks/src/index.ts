import { fileURLToPath } from 'node:url';
import { system } from '@tocsin/events';
import { displayOf, redactUrl, type ServiceContext, type ServiceDefinition } from '@tocsin/runtime';
import { serveStatusRpc } from './chatRpc.ts';
import { type SubspaceBlocksConfig, subspaceBlocksConfig } from './config.ts';
import { SubspaceIngestor } from './ingestor.ts';

export { type SubspaceBlocksConfig, subspaceBlocksConfig } from './config.ts';
export { type ForkAction, ForkMonitor, type Header } from './fork/forkMonitor.ts';
export { SubspaceIngestor } from './ingestor.ts';

const VERSION = '0.1.0';
const ingestors = new WeakMap<ServiceContext, SubspaceIngestor>();

/** The running ingestor of a service started in this process (tests drive `tick` and `settled` with it). */
export function ingestorOf(ctx: ServiceContext): SubspaceIngestor {
  const ingestor = ingestors.get(ctx as ServiceContext);
  if (!ingestor) throw new Error('no subspace-blocks ingestor runs with this context');
  return ingestor;
}

/**
 * subspace-blocks: the block stream of a Subspace/Autonomys chain over Substrate JSON-RPC (@polkadot/api): forks
 * and reorgs, transfers, sudo, important addresses, farmers, slot time, operators; facts published for the alerter.
 */
export const subspaceBlocksService: ServiceDefinition<typeof subspaceBlocksConfig> = {
  name: 'subspace-blocks',
  version: VERSION,
  config: { section: 'subspace_blocks', schema: subspaceBlocksConfig },
  migrations: fileURLToPath(new URL('../migrations', import.meta.url)),
  defaultPort: 9465,
  async start(ctx: ServiceContext<SubspaceBlocksConfig>) {
    if (!ctx.section.nodes.length)
      ctx.log.warn('no nodes configured under subspace_blocks.nodes; nothing to watch');
    const ingestor = new SubspaceIngestor(ctx);
    ingestors.set(ctx as ServiceContext, ingestor);
    await ingestor.start();
    ctx.onStop(() => ingestor.close());
    serveStatusRpc(ctx as ServiceContext, ingestor);
    const c = ctx.section;
    const startedMs = ctx.clock.now();
    // Announced without waiting: NATS or the nodes being slow never holds up the start.
    ctx.publisher
      .publish(system.serviceStarted, {
        chain_id: '-',
        dedup_key: `subspace-blocks:${ctx.instance}:${startedMs}`,
        data: {
          service: 'subspace-blocks',
          version: VERSION,
          watches: [
            {
              chain_id: c.chain_id,
              endpoints: c.nodes.map(redactUrl),
              height: ingestor.fork.bestTip?.height ?? null,
              detail: `${c.nodes.length} nodes (the first primary), ${c.important_addresses.length} important addresses`,
            },
          ],
          ...displayOf(ctx.config),
        },
      })
      .catch((err) => ctx.log.warn({ err: (err as Error).message }, 'service_started not published'));
  },
};
