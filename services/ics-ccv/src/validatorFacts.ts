import { icsCcv as E } from '@tocsin/events';
import type { z } from 'zod';
import type { ConsumerContext } from './contexts.ts';
import type { ConsumerSnapshot, ProviderSnapshot } from './providerReader.ts';
import type { Publish, Reader } from './types.ts';

/** key_assigned is keyed by its content: the same validator assigning the same key twice is one fact. */
export async function keyAssigned(
  publish: Publish,
  fact: Omit<z.input<typeof E.keyAssigned.data>, 'consumer_key'>,
  key: string,
  c: Pick<ConsumerContext, 'keys'>,
) {
  if (c.keys[fact.provider_validator_address] === key) return;
  await publish(E.keyAssigned, `${fact.consumer_id}:key_assigned:${fact.provider_validator_address}:${key}`, {
    ...fact,
    consumer_key: key,
  });
  c.keys[fact.provider_validator_address] = key;
}

/**
 * The dedup_key of an opt_in / opt_out a sync found without its Tx event: keyed by the height of that Tx, read from
 * the node's Tx index (tx_search), the same key the event would have given on an instance that saw it. A node that
 * indexes no such Tx gives a key from the provider state alone (consumer, validator); it holds within the bus'
 * duplicate window, which is enough for instances polling the same state.
 */
async function pollKey(
  reader: Reader,
  kind: 'opt_in' | 'opt_out',
  consumerId: string,
  validator: string,
  maxHeight: number,
): Promise<{ key: string; height: number | null }> {
  let height: number | null = null;
  try {
    height = await reader.txHeight(
      kind,
      { consumer_id: consumerId, provider_validator_address: validator },
      maxHeight,
    );
  } catch {
    // tx_search refused (indexer off): the state-only key below.
  }
  return height === null
    ? { key: `${consumerId}:${kind}:${validator}:unindexed`, height: null }
    : { key: `${consumerId}:${kind}:${height}:${validator}`, height };
}

/** Opt-ins, opt-outs and key assignments no Tx event reported (missed while the websocket was down). */
export async function validatorDiff(
  publish: Publish,
  reader: Reader,
  ourCons: string | undefined,
  c: ConsumerContext,
  s: ConsumerSnapshot,
  snap: ProviderSnapshot,
) {
  const base = {
    consumer_id: s.consumerId,
    consumer_chain_id: s.chainId,
    detected_by: 'poll' as const,
    attributes: {},
  };
  for (const v of s.optedIn.filter((v) => !c.optedIn.includes(v))) {
    const { key, height } = await pollKey(reader, 'opt_in', s.consumerId, v, snap.height);
    await publish(E.optIn, key, {
      ...base,
      height,
      provider_validator_address: v,
      ours: v === ourCons,
      consumer_key: s.keys[v] ?? null,
    });
  }
  for (const v of c.optedIn.filter((v) => !s.optedIn.includes(v))) {
    const { key, height } = await pollKey(reader, 'opt_out', s.consumerId, v, snap.height);
    await publish(E.optOut, key, { ...base, height, provider_validator_address: v, ours: v === ourCons });
  }
  for (const [v, key] of Object.entries(s.keys))
    if (c.keys[v] !== key)
      await keyAssigned(
        publish,
        { ...base, height: null, provider_validator_address: v, ours: v === ourCons },
        key,
        c,
      );
}
