import { createHash } from 'node:crypto';
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

/** One validator of a consumer's set: its provider consensus address, consumer key (base64 ed25519) and power. */
export interface ConsumerValidator {
  providerAddress: string;
  operatorAddress: string;
  consumerKey: string;
  power: bigint;
}

/** The set the provider computes for a consumer: its opted-in validators, with their consumer keys and powers. */
export function consumerValSetOf(model: ProviderModel, c: SimConsumer): ConsumerValidator[] {
  const byCons = new Map([...model.validators.values()].map((v) => [v.consAddress, v]));
  return c.optedIn.flatMap((addr) => {
    const v = byCons.get(addr);
    if (!v || v.jailed || v.status !== 'bonded') return [];
    return [
      {
        providerAddress: addr,
        operatorAddress: v.operatorAddress,
        consumerKey: c.keys.get(addr) ?? Buffer.from(v.consensusPubkey).toString('base64'),
        power: v.tokens / 1_000_000n,
      },
    ];
  });
}

const setKey = (vs: ConsumerValidator[]) =>
  vs
    .map((v) => `${v.consumerKey}=${v.power}`)
    .sort()
    .join(',');

/**
 * End of every provider block (an epoch of one block): a launched consumer whose set changed gets a VSC packet, the
 * provider persists the new set; with the relayer running the consumer applies it at once, otherwise it keeps the
 * set it had (stale) until the relayer runs again.
 */
export function sendValSetChanges(model: ProviderModel): void {
  for (const c of model.consumers.values()) {
    if (c.phase !== 'LAUNCHED') continue;
    const next = consumerValSetOf(model, c);
    if (setKey(next) !== setKey(c.providerValSet)) c.providerValSet = next;
    if (model.relayerRunning) c.consumerValSet = c.providerValSet;
  }
}

/** CometBFT `validators` of a consumer chain (every validator on one page). */
export function consumerValidatorsJson(c: SimConsumer, height: number) {
  const validators = c.consumerValSet.map((v) => {
    const key = Buffer.from(v.consumerKey, 'base64');
    return {
      address: createHash('sha256').update(key).digest().subarray(0, 20).toString('hex').toUpperCase(),
      pub_key: { type: 'tendermint/PubKeyEd25519', value: v.consumerKey },
      voting_power: String(v.power),
      proposer_priority: '0',
    };
  });
  return {
    block_height: String(height),
    validators,
    count: String(validators.length),
    total: String(validators.length),
  };
}
