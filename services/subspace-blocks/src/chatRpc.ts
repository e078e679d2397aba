import { serveRpc } from '@tocsin/bus';
import { subspaceBlocksRpc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { SubspaceIngestor } from './ingestor.ts';

/**
 * `<prefix>.rpc.subspace-blocks.status`: tips and forks per node, slot time, farmers ($subspace, /subspace, the
 * console); `series`: block time and slot time over the slot window (the console's charts).
 */
export function serveStatusRpc(ctx: ServiceContext, ingestor: SubspaceIngestor): void {
  const common = { nc: ctx.nc, queue: 'subspace-blocks', log: ctx.log };
  const subs = [
    serveRpc({
      ...common,
      subject: ctx.subjects.rpc('subspace-blocks', 'status'),
      schema: subspaceBlocksRpc.status.request,
      handler: async () => ingestor.status(),
    }),
    serveRpc({
      ...common,
      subject: ctx.subjects.rpc('subspace-blocks', 'series'),
      schema: subspaceBlocksRpc.series.request,
      handler: async () => ingestor.series(),
    }),
  ];
  ctx.onStop(() => {
    for (const s of subs) s.unsubscribe();
  });
}
