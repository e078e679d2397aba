import { createHash } from 'node:crypto';
import { icsCcv as E } from '@tocsin/events';
import type { Clock, Logger } from '@tocsin/runtime';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerContext } from './contexts.ts';
import { type Duty, dutiesOf } from './duties.ts';
import type { OptInAction } from './optIn.ts';
import type { BondedValidator, ConsumerSnapshot, ProviderSnapshot } from './providerReader.ts';
import { selectValidators } from './selection.ts';
import type { Publish, Reader, SelectionAt } from './types.ts';

export interface SelectionDeps {
  cfg: IcsCcvConfig;
  publish: Publish;
  reader: Reader;
  log: Logger;
  clock: Clock;
  optIn?: OptInAction;
}

/**
 * The selection at a height, for one sync: the snapshot's own height uses its bonded validators; an event's height
 * is queried (once per height). A node that no longer has that height (pruned) answers with the snapshot's.
 */
export function selectionsOf(
  snap: ProviderSnapshot,
  reader: Reader,
  threshold: number,
  log: Logger,
): (height: number) => Promise<SelectionAt> {
  const cache = new Map<number, Promise<SelectionAt>>();
  const at = (height: number, bonded: BondedValidator[]): SelectionAt => ({
    height,
    bonded,
    ...selectValidators(bonded, threshold),
  });
  return (wanted) => {
    const height = Math.min(wanted, snap.height);
    let p = cache.get(height);
    if (!p) {
      p =
        height === snap.height
          ? Promise.resolve(at(snap.height, snap.bonded))
          : reader.bonded(height).then(
              (bonded) => at(height, bonded),
              (err) => {
                log.debug(
                  { height, err: String(err) },
                  'bonded validators not readable at the event height; using the latest',
                );
                return at(snap.height, snap.bonded);
              },
            );
      cache.set(height, p);
    }
    return p;
  };
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * The selection of a REGISTERED or INITIALIZED consumer (and of one that just launched), published when it changes,
 * then our validator's duties towards it, and the opt-in automation when one of them is to opt in.
 */
export async function selectionAndDuties(
  d: SelectionDeps,
  c: ConsumerContext,
  s: ConsumerSnapshot,
  selection: () => Promise<SelectionAt>,
  launchedNow: boolean,
) {
  if (s.phase !== 'REGISTERED' && s.phase !== 'INITIALIZED' && !launchedNow) return;
  // The bonded validators at the height of the event that triggered this sync (or of the poll's snapshot).
  const { height, bonded, selected, totalTokens } = await selection();
  const our = d.cfg.our_validator ?? null;
  const ours = our ? bonded.find((v) => v.operatorAddress === our) : undefined;
  const oursSelected = our ? selected.some((v) => v.operatorAddress === our) : null;
  const oursOptedIn = our ? (ours ? s.optedIn.includes(ours.consAddress) : false) : null;
  const data = {
    consumer_id: s.consumerId,
    consumer_chain_id: s.chainId,
    phase: s.phase,
    spawn_time: iso(s.spawnTimeMs),
    threshold: d.cfg.selection_threshold,
    total_tokens: totalTokens.toString(),
    selected: selected.map((v) => ({
      operator_address: v.operatorAddress,
      tokens: v.tokens.toString(),
      opted_in: s.optedIn.includes(v.consAddress),
    })),
    our_validator: our,
    ours_selected: oursSelected,
    ours_opted_in: oursOptedIn,
    height,
  };
  // The dedup_key names the selection by its content (not the height it was read at): instances that read the
  // same selection at different heights store it once.
  const sig = createHash('sha256')
    .update(JSON.stringify({ ...data, spawn_time: null, phase: null, height: null }))
    .digest('hex')
    .slice(0, 16);
  if (c.announced.selection !== sig) {
    await d.publish(E.validatorSelection, `${s.consumerId}:selection:${s.phase}:${sig}`, data);
    c.announced.selection = sig;
  }
  if (!our) return;
  const duties: Duty[] = dutiesOf({
    c,
    s,
    ours,
    oursSelected: !!oursSelected,
    oursOptedIn: !!oursOptedIn,
    nowMs: d.clock.now(),
  });
  if (launchedNow && ours && (oursOptedIn || oursSelected) && !c.announced.initialSetChecked) {
    c.announced.initialSetChecked = true;
    const ourKey = s.keys[ours.consAddress] ?? ours.consensusKey;
    try {
      const set = await d.reader.initialValSet(s.consumerId);
      if (!set.includes(ourKey))
        duties.push({
          duty: 'not_in_initial_set',
          key: `${s.consumerId}:duty:not_in_initial_set`,
          timeLeftS: null,
        });
    } catch (err) {
      d.log.warn(
        { consumer_id: s.consumerId, err: String(err) },
        'consumer genesis unreadable; initial set not checked',
      );
    }
  }
  for (const duty of duties)
    await d.publish(E.validatorDuty, duty.key, {
      consumer_id: s.consumerId,
      consumer_chain_id: s.chainId,
      duty: duty.duty,
      validator: our,
      phase: s.phase,
      spawn_time: iso(s.spawnTimeMs),
      time_left_s: duty.timeLeftS,
    });
  if (duties.some((d) => d.duty === 'opt_in') && d.optIn && s.spawnTimeMs !== null)
    await d.optIn.consider({
      consumerId: s.consumerId,
      chainId: s.chainId,
      spawnIso: iso(s.spawnTimeMs)!,
      context: c,
    });
}
