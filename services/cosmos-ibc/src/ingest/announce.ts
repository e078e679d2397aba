import { system } from '@tocsin/events';
import { displayOf, redactUrl } from '@tocsin/runtime';
import { latestBlockHeight, QUERY } from '../chainQueries.ts';
import { exclusive, type IngestorCore } from './core.ts';

/** At start: each chain's height probed once, then one `service_started` saying what is watched. */
export async function announceStart(core: IngestorCore, version: string): Promise<void> {
  const { ctx, publish } = core;
  const watches = await Promise.all(
    [...core.chains.values()].map((state) =>
      exclusive(state, async () => {
        const chain = state.view.config;
        state.endpoints.beginScan();
        const height = await state.endpoints.run(QUERY.status, latestBlockHeight).catch(() => null);
        if (height !== null) core.setHeight(chain.chain_id, height);
        const what = chain.connections.length
          ? `${chain.connections.length} configured connections`
          : 'all open connections';
        return {
          chain_id: chain.chain_id,
          endpoints: chain.rpc.map(redactUrl),
          height,
          detail: `${chain.name ?? chain.chain_id}: clients of ${what}, ${chain.wallets.length} configured wallets, every ${chain.scan_interval / 1000} s`,
        };
      }),
    ),
  );
  const startedMs = ctx.clock.now();
  publish(system.serviceStarted, '-', `cosmos-ibc:${ctx.instance}:${startedMs}`, {
    service: 'cosmos-ibc',
    version,
    watches,
    ...displayOf(ctx.config),
  });
  await core.drainPublishes();
}
