import { decodeTime, monotonicFactory } from 'ulid';
import { z } from 'zod';

/** Identifiers that end up as subject tokens. */
export const token = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-", starting with a letter or digit');

export const ulid = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID (26 Crockford base32 characters)');

/** Whether text a person typed or a button carries is a ULID (an episode id), in either case. */
export function isUlid(text: string): boolean {
  return ulid.safeParse(text.toUpperCase()).success;
}

/**
 * The envelope every event travels in. `data` is typed per (source, type) by the registry; the envelope alone
 * is what a subscriber can rely on for event types it does not know.
 */
export const eventEnvelope = z.object({
  id: ulid.describe('ULID, unique per publication; sortable by time'),
  source: token.describe('the ingestor kind that observed the fact, e.g. cosmos-ibc'),
  type: token.describe('event type within the source, e.g. client_status'),
  version: z.number().int().positive().describe('schema version of data for this (source, type)'),
  chain_id: z.string().min(1).max(128).describe('chain the fact is about; "-" when none'),
  instance: z.string().min(1).max(128).describe('which ingestor instance observed it'),
  observed_at: z.iso.datetime({ offset: true }).describe('RFC 3339 time of observation'),
  dedup_key: z
    .string()
    .min(1)
    .max(512)
    .describe('same fact → same key, on every instance; used as Nats-Msg-Id so the stream stores it once'),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope<D = Record<string, unknown>> = Omit<z.infer<typeof eventEnvelope>, 'data'> & {
  data: D;
};

/**
 * ulid's own generator asks the system for one random byte per character (16 calls for each id in a new
 * millisecond); this one draws the same cryptographic randomness 4 KiB at a time.
 */
const randomPool = new Uint32Array(1024);
let randomAt = randomPool.length;
function pooledRandom(): number {
  if (randomAt === randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomAt = 0;
  }
  return randomPool[randomAt++]! / 0x1_0000_0000;
}
const nextUlid = monotonicFactory(pooledRandom);
export function newId(now: number = Date.now()): string {
  return nextUlid(now);
}
export function idTime(id: string): number {
  return decodeTime(id);
}
