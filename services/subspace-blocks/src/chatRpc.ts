import { serveRpc } from '@tocsin/bus';
import { subspaceBlocksRpc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { SubspaceIngestor } from './ingestor.ts';

/** `<prefix>.rpc.subspace-blocks.status`: tips and forks per node, slot time, farmers ($subspace, /subspace). */
export function serveStatusRpc(ctx: ServiceContext, ingestor: SubspaceIngestor): void {
  const sub = serveRpc({
    nc: ctx.nc,
    queue: 'subspace-blocks',
    log: ctx.log,
    subject: ctx.subjects.rpc('subspace-blocks', 'status'),
    schema: subspaceBlocksRpc.status.request,
    handler: async () => ingestor.status(),
  });
  ctx.onStop(() => sub.unsubscribe());
}
