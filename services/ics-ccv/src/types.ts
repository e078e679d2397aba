import type { EventDefinition } from '@tocsin/events';
import type { z } from 'zod';
import type { BondedValidator, ProviderSnapshot } from './providerReader.ts';

export type Publish = <S extends z.ZodType>(
  def: EventDefinition<S>,
  dedupKey: string,
  data: z.input<S>,
) => Promise<void>;

/** What Tx events said about a consumer since the last sync: its phase changes are then "detected by event". */
export interface Hint {
  height: number;
  kinds: Set<string>;
  attributes: Record<string, Record<string, string>>;
}

export interface Reader {
  snapshot(): Promise<ProviderSnapshot>;
  /** Bonded validators at a past height (the height of an event). */
  bonded(height: number): Promise<BondedValidator[]>;
  initialValSet(consumerId: string): Promise<string[]>;
  /** A launched consumer's validator set as the provider last sent it: consumer key (base64) → power. */
  consumerValSet(consumerId: string): Promise<Map<string, bigint>>;
  /** Height of the latest indexed Tx with this event and attributes, at or below maxHeight (tx_search). */
  txHeight(event: string, attributes: Record<string, string>, maxHeight: number): Promise<number | null>;
}

/** The selection at one provider height. */
export interface SelectionAt {
  height: number;
  bonded: BondedValidator[];
  selected: BondedValidator[];
  totalTokens: bigint;
}
