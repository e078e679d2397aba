import type { EventDefinition } from '@tocsin/events';
import type { z } from 'zod';
import type { ProviderSnapshot } from './providerReader.ts';

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
  initialValSet(consumerId: string): Promise<string[]>;
}
