import type { BlockSource } from '@tocsin/sim-cosmos';
import { Order, State } from 'cosmjs-types/ibc/core/channel/v1/channel';
import { QueryChannelsResponse } from 'cosmjs-types/ibc/core/channel/v1/query';
import type { AbciResult } from './abciRoutes.ts';
import type { ProviderModel, SimConsumer } from './providerModel.ts';

/**
 * The chain of a launched consumer, served at `/<consumer chain id>`: blocks from its launch on (stopping where it
 * was halted) and, `ccv_channel_delay_s` after launch, its CCV channel (port `consumer` ↔ `provider`, ORDERED).
 */
export function consumerBlockSource(c: SimConsumer, blockMs: number): BlockSource {
  const start = c.launchedAtMs ?? 0;
  return {
    chainId: c.chainId,
    heightAt: (ms: number) =>
      1 + Math.max(0, Math.floor((Math.min(ms, c.haltedAtMs ?? ms) - start) / blockMs)),
    blockTimeMsAt: (h: number) => start + (h - 1) * blockMs,
  };
}

/** The consumer whose chain answers at `/<chainId>`: launched (or stopped) ones only. */
export function servedConsumer(model: ProviderModel, chainId: string): SimConsumer | undefined {
  return [...model.consumers.values()].find(
    (c) =>
      c.chainId === chainId && c.launchedAtMs !== null && (c.phase === 'LAUNCHED' || c.phase === 'STOPPED'),
  );
}

export function consumerAbciQuery(
  model: ProviderModel,
  c: SimConsumer,
  path: string,
  nowMs: number,
): AbciResult {
  if (path !== '/ibc.core.channel.v1.Query/Channels')
    return {
      code: 6,
      log: `unknown query path: ${path}: unknown request`,
      codespace: 'sdk',
      value: new Uint8Array(),
    };
  const delay = model.scenario.ccv_channel_delay_s;
  const open = delay !== null && c.launchedAtMs !== null && nowMs >= c.launchedAtMs + delay * 1000;
  const channels = open
    ? [
        {
          state: State.STATE_OPEN,
          ordering: Order.ORDER_ORDERED,
          counterparty: { portId: 'provider', channelId: 'channel-0' },
          connectionHops: ['connection-0'],
          version: '1',
          portId: 'consumer',
          channelId: 'channel-0',
        },
      ]
    : [];
  return {
    code: 0,
    log: '',
    codespace: '',
    value: QueryChannelsResponse.encode(
      QueryChannelsResponse.fromPartial({
        channels,
        pagination: { nextKey: new Uint8Array(), total: BigInt(channels.length) },
        height: { revisionNumber: 1n, revisionHeight: 1n },
      }),
    ).finish(),
  };
}
