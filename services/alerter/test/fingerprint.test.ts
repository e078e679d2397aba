import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintOf } from '../src/lifecycle/fingerprint.ts';

/** The definition: sha256 over the rule id and each fingerprint label as `name=value`, first 32 hex digits. */
function reference(ruleId: string, labels: Record<string, string>, names: readonly string[]): string {
  let key = ruleId;
  for (const n of names) key += `\u0000${n}=${labels[n] ?? ''}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

describe('fingerprintOf', () => {
  it('equals the definition, first call and repeats alike, for any rule, labels and label names', () => {
    const name = fc.constantFrom('chain_id', 'client_id', 'address', 'subscriber', '');
    fc.assert(
      fc.property(
        fc.string(),
        fc.uniqueArray(name, { maxLength: 4 }),
        fc.dictionary(name, fc.string()),
        (ruleId, names, labels) => {
          const want = reference(ruleId, labels, names);
          expect(fingerprintOf(ruleId, labels, names)).toBe(want);
          expect(fingerprintOf(ruleId, { ...labels }, [...names])).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a rule reloaded with other fingerprint labels gets the fingerprints of its new labels', () => {
    const labels = { chain_id: 'cosmoshub-4', client_id: '07-tendermint-0' };
    const before = fingerprintOf('r', labels, ['chain_id', 'client_id']);
    const after = fingerprintOf('r', labels, ['chain_id']);
    expect(after).toBe(reference('r', labels, ['chain_id']));
    expect(after).not.toBe(before);
    expect(fingerprintOf('r', labels, ['chain_id', 'client_id'])).toBe(before);
  });
});
