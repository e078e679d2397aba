import type { ConsumerContext } from './contexts.ts';
import type { BondedValidator, ConsumerSnapshot } from './providerReader.ts';

export interface Duty {
  duty: 'opt_in' | 'assign_key' | 'not_in_initial_set';
  /** dedup_key: the same on every instance for the same state within the same 10-minute bucket. */
  key: string;
  timeLeftS: number | null;
}

/** Re-published every 10 minutes while the duty holds, so countdown rules see fresh time_left_s values. */
const BUCKET_S = 600;

/** Duties of our validator towards a consumer before launch (not_in_initial_set is checked at launch). */
export function dutiesOf(o: {
  c: ConsumerContext;
  s: ConsumerSnapshot;
  ours: BondedValidator | undefined;
  oursSelected: boolean;
  oursOptedIn: boolean;
  nowMs: number;
}): Duty[] {
  const { s } = o;
  const out: Duty[] = [];
  const left = s.spawnTimeMs === null ? null : (s.spawnTimeMs - o.nowMs) / 1000;
  const spawn = s.spawnTimeMs === null ? 'none' : new Date(s.spawnTimeMs).toISOString();
  if (s.phase === 'INITIALIZED' && o.oursSelected && !o.oursOptedIn && left !== null) {
    out.push({
      duty: 'opt_in',
      key: `${s.consumerId}:duty:opt_in:${spawn}:${Math.floor(left / BUCKET_S)}`,
      timeLeftS: left,
    });
  }
  if (
    o.ours &&
    o.oursOptedIn &&
    !s.keys[o.ours.consAddress] &&
    (s.phase === 'REGISTERED' || s.phase === 'INITIALIZED')
  ) {
    out.push({
      duty: 'assign_key',
      key: `${s.consumerId}:duty:assign_key:${spawn}:${Math.floor(o.nowMs / 1000 / BUCKET_S)}`,
      timeLeftS: left,
    });
  }
  return out;
}
