import { icsCcv as E } from '@tocsin/events';
import type { z } from 'zod';
import type { ConsumerContext } from './contexts.ts';
import type { ConsumerSnapshot, ProviderSnapshot } from './providerReader.ts';
import type { Publish } from './types.ts';

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

/** Opt-ins, opt-outs and key assignments no Tx event reported (missed while the websocket was down). */
export async function validatorDiff(
  publish: Publish,
  ourCons: string | undefined,
  c: ConsumerContext,
  s: ConsumerSnapshot,
  snap: ProviderSnapshot,
) {
  const base = {
    consumer_id: s.consumerId,
    consumer_chain_id: s.chainId,
    height: null,
    detected_by: 'poll' as const,
    attributes: {},
  };
  for (const v of s.optedIn.filter((v) => !c.optedIn.includes(v)))
    await publish(E.optIn, `${s.consumerId}:opt_in:${v}:seen-at:${snap.height}`, {
      ...base,
      provider_validator_address: v,
      ours: v === ourCons,
      consumer_key: s.keys[v] ?? null,
    });
  for (const v of c.optedIn.filter((v) => !s.optedIn.includes(v)))
    await publish(E.optOut, `${s.consumerId}:opt_out:${v}:seen-at:${snap.height}`, {
      ...base,
      provider_validator_address: v,
      ours: v === ourCons,
    });
  for (const [v, key] of Object.entries(s.keys))
    if (c.keys[v] !== key)
      await keyAssigned(publish, { ...base, provider_validator_address: v, ours: v === ourCons }, key, c);
}
