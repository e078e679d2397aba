/**
 * What a rule's expressions and templates read: the event (envelope), its data, the parameters and the names a rule
 * binds (`sub` of for_each, `labels` and `alert` in templates).
 */
export interface Scope {
  event: Record<string, unknown>;
  data: Record<string, unknown>;
  params: Record<string, unknown>;
  vars: Record<string, unknown>;
}

export type Evaluator = (scope: Scope) => unknown;

/** Envelope fields an expression reaches by their own names (`chain_id`, not `event.chain_id`). */
export const ENVELOPE_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'source',
  'type',
  'version',
  'chain_id',
  'instance',
  'observed_at',
  'dedup_key',
]);

/** How a condition's value decides: true holds; false, null, 0, '' and a failed evaluation do not. */
export function isTruthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false && v !== 0 && v !== '';
}
