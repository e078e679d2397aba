import { serveRpc } from '@tocsin/bus';
import { icsCcvRpc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { Tracker } from './tracker.ts';

/** `<prefix>.rpc.ics-ccv.consumers` for $consumers / /consumers: phase, spawn countdown and our duty. */
export function serveConsumersRpc(ctx: ServiceContext, tracker: Tracker, providerChainId: string): void {
  const sub = serveRpc({
    nc: ctx.nc,
    queue: 'ics-ccv',
    log: ctx.log,
    subject: ctx.subjects.rpc('ics-ccv', 'consumers'),
    schema: icsCcvRpc.consumers.request,
    handler: async (req) => {
      const now = ctx.clock.now();
      const our = (ctx.section as { our_validator?: string } | undefined)?.our_validator;
      const ours = tracker.bonded.find((v) => v.operatorAddress === our);
      const consumers = [...tracker.contexts.values()]
        .filter((c) => !req.phase || c.phase === req.phase.toUpperCase())
        .sort((a, b) => Number(a.consumerId) - Number(b.consumerId))
        .map((c) => {
          const optedIn = ours ? c.optedIn.includes(ours.consAddress) : null;
          return {
            consumer_id: c.consumerId,
            chain_id: c.chainId,
            name: c.name,
            phase: c.phase,
            spawn_time: c.spawnTimeMs === null ? null : new Date(c.spawnTimeMs).toISOString(),
            spawn_in_s: c.spawnTimeMs === null ? null : Math.round((c.spawnTimeMs - now) / 1000),
            opted_in: c.optedIn.length,
            ours_opted_in: optedIn,
            ours_key_assigned: ours && optedIn ? Boolean(c.keys[ours.consAddress]) : null,
          };
        });
      return {
        provider_chain_id: providerChainId,
        available: !tracker.unavailable,
        height: tracker.lastHeight,
        our_validator: our ?? null,
        consumers,
      };
    },
  });
  ctx.onStop(() => void sub.unsubscribe());
}
