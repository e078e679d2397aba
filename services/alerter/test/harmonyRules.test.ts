import { harmonySigners, newId } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { evaluateEvent, RuleIndex } from '../src/lifecycle/evaluate.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { SubscriptionIndex } from '../src/subscriptions/subscriptionIndex.ts';

const { rules, params } = loadRules(alerterConfig.parse({}));
const index = new RuleIndex(rules);
const opts = { params, subscriptions: new SubscriptionIndex() };

function event(type: string, data: Record<string, unknown>) {
  return {
    id: newId(),
    source: 'harmony-signers',
    type,
    version: 1,
    chain_id: 'harmony',
    instance: 'test',
    observed_at: '2026-12-03T18:00:00Z',
    dedup_key: newId(),
    data,
  };
}

describe('default harmony-signers rules', () => {
  it("double_sign_risk: one critical alert per owner, each showing only that owner's hosts, sent at once", () => {
    const example = harmonySigners.doubleSignRisk.example;
    const alice = example.sides[0]!;
    const bob = {
      owner: 'slack:U0BOB',
      hosts: [{ ...alice.hosts[0]!, hostname: 'bob-node' }],
      hosts_text: 'bob-node (Normal)',
      other_owners: 1,
    };
    const e = event('double_sign_risk', { ...example, sides: [{ ...alice, other_owners: 1 }, bob] });
    const out = evaluateEvent(index, e, opts).filter((i) => i.rule.id === 'harmony-double-sign-risk');
    expect(out.map((i) => [i.owner, i.active, i.rule.severity])).toEqual([
      [alice.owner, true, 'critical'],
      ['slack:U0BOB', true, 'critical'],
    ]);
    const text = out.map((i) => `${i.rule.summary.render(i.scope)}\n${i.rule.description.render(i.scope)}`);
    expect(text[0]).toContain('val-main (Normal), val-backup-1 (Normal)');
    expect(text[0]).toContain('1 other operator(s) also report this key');
    expect(text[0]).not.toContain('bob-node');
    expect(text[1]).toContain('bob-node (Normal)');
    expect(text[1]).not.toContain('val-main');
    expect(out[0]!.rule.groupWaitMs).toBe(0);
    expect(out[0]!.rule.groupBy).toEqual(['rule', 'subscriber']);
    expect(out[0]!.fingerprint).not.toBe(out[1]!.fingerprint);
    // The end of the risk resolves each owner's alert.
    const ended = evaluateEvent(index, event('double_sign_risk', { ...example, active: false }), opts);
    expect(ended.find((i) => i.rule.id === 'harmony-double-sign-risk')).toMatchObject({
      active: false,
      owner: alice.owner,
    });
  });

  it('every harmony-signers event type has a default rule addressed to its owner', () => {
    for (const def of harmonySigners.harmonySignersEvents) {
      if (def.type === 'signer_report') continue;
      const out = evaluateEvent(index, event(def.type, def.example as Record<string, unknown>), opts);
      expect(out.length, def.type).toBeGreaterThan(0);
      expect(out[0]!.owner, def.type).toBe('discord:123456789012345678');
    }
    const [mismatch] = evaluateEvent(
      index,
      event('backup_mismatch', harmonySigners.backupMismatch.example),
      opts,
    );
    expect(mismatch!.rule.summary.render(mismatch!.scope)).toBe(
      'Host val-backup-1 is flagged backup but signs (mode Normal)',
    );
  });
});
