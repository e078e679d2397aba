import { createHash } from 'node:crypto';
import { type EventEnvelope, newId } from '@tocsin/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { evaluateEvent, RuleIndex } from '../src/lifecycle/evaluate.ts';
import { fingerprintOf } from '../src/lifecycle/fingerprint.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { SubscriptionIndex } from '../src/subscriptions/subscriptionIndex.ts';
import { clientStatus } from './fixtures.ts';

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

describe('the open-alert check of a threshold that does not hold', () => {
  it('asks about the fingerprint the alert has when it fires (its labels rendered in full)', () => {
    const { rules, params } = loadRules(alerterConfig.parse({}));
    const index = new RuleIndex(rules);
    const event = (elapsed: number): EventEnvelope => ({
      id: newId(),
      source: 'cosmos-ibc',
      type: 'client_status',
      version: 1,
      chain_id: 'cosmoshub-4',
      instance: 'test',
      observed_at: new Date().toISOString(),
      dedup_key: `c:${elapsed}`,
      data: clientStatus('07-tendermint-3', { elapsed }) as Record<string, unknown>,
    });
    const asked = new Set<string>();
    const quiet = evaluateEvent(index, event(1_000), {
      params,
      subscriptions: new SubscriptionIndex(),
      mayBeActive: () => true,
      isOpen: (fp) => {
        asked.add(fp);
        return false;
      },
    });
    expect(quiet.filter((i) => i.rule.id === 'ibc-client-expiring')).toEqual([]);
    const firing = evaluateEvent(index, event(50_000), { params, subscriptions: new SubscriptionIndex() });
    const expiring = firing.find((i) => i.rule.id === 'ibc-client-expiring')!;
    expect(expiring.active).toBe(true);
    expect(asked).toContain(expiring.fingerprint);
  });
});
