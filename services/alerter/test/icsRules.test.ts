import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import type { Scope } from '../src/rules/scope.ts';

const { rules, params } = loadRules(alerterConfig.parse({}));
const rule = (id: string) => {
  const r = rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
const duty = (d: string, timeLeftS: number | null): Scope => ({
  data: {
    consumer_id: '0',
    consumer_chain_id: 'consumer-1',
    duty: d,
    validator: 'cosmosvaloper1bob',
    phase: 'INITIALIZED',
    spawn_time: '2026-12-02T00:00:00Z',
    time_left_s: timeLeftS,
  },
  event: { chain_id: 'provider-1', source: 'ics-ccv', type: 'validator_duty' },
  params,
  vars: {},
});

describe('default ics-ccv rules', () => {
  it('are shipped and compile against the ics-ccv contract', () => {
    expect(rules.filter((r) => r.id.startsWith('ics-')).map((r) => r.id)).toEqual([
      'ics-consumer-phase-changed',
      'ics-launch-failed',
      'ics-opt-in-due',
      'ics-opt-in-due-critical',
      'ics-consumer-key-missing',
      'ics-not-in-initial-set',
      'ics-would-opt-in',
      'ics-consumer-removed',
      'ics-provider-unavailable',
      'ics-consumer-stalled',
      'ics-ccv-channel-missing',
      'ics-consumer-valset-stale',
    ]);
    expect(params.ics_opt_in_warning_within).toBe(86_400);
    expect(params.ics_opt_in_critical_within).toBe(3_600);
    expect(rule('ics-launch-failed').severity).toBe('critical');
    expect(rule('ics-consumer-phase-changed').severity).toBe('info');
  });

  it('warns within 24 h of spawn and goes critical within 1 h when ours has not opted in', () => {
    const warn = rule('ics-opt-in-due');
    const crit = rule('ics-opt-in-due-critical');
    expect([warn.test!(duty('opt_in', 90_000)), crit.test!(duty('opt_in', 90_000))]).toEqual([false, false]);
    expect([warn.test!(duty('opt_in', 80_000)), crit.test!(duty('opt_in', 80_000))]).toEqual([true, false]);
    expect([warn.test!(duty('opt_in', 3_000)), crit.test!(duty('opt_in', 3_000))]).toEqual([true, true]);
    expect(warn.test!(duty('assign_key', 3_000))).toBe(false);
    expect(rule('ics-consumer-key-missing').test!(duty('assign_key', null))).toBe(true);
  });

  it('warn when a consumer stalls, misses its CCV channel or runs a stale validator set', () => {
    const health = (d: Record<string, unknown>): Scope =>
      ({
        data: {
          consumer_id: '0',
          consumer_chain_id: 'consumer-1',
          endpoint: 'http://consumer',
          height: 10,
          latest_block_time: '2026-12-02T00:00:00Z',
          block_age_s: 5,
          stalled: false,
          ccv_channel_open: true,
          ccv_channel_missing: false,
          valset_in_sync: true,
          valset_out_of_sync_s: null,
          valset_stale: false,
          launched_for_s: 600,
          error: null,
          ...d,
        },
        event: { chain_id: 'provider-1', source: 'ics-ccv', type: 'consumer_health' },
        params,
        vars: {},
      }) as Scope;
    const ids = ['ics-consumer-stalled', 'ics-ccv-channel-missing', 'ics-consumer-valset-stale'];
    const fired = (d: Record<string, unknown>) => ids.filter((id) => rule(id).test!(health(d)));
    expect(fired({})).toEqual([]);
    expect(fired({ stalled: true })).toEqual(['ics-consumer-stalled']);
    expect(fired({ ccv_channel_open: false, ccv_channel_missing: true })).toEqual([
      'ics-ccv-channel-missing',
    ]);
    expect(fired({ valset_in_sync: false, valset_out_of_sync_s: 120 })).toEqual([]);
    expect(fired({ valset_in_sync: false, valset_out_of_sync_s: 900, valset_stale: true })).toEqual([
      'ics-consumer-valset-stale',
    ]);
    expect(ids.map((id) => rule(id).severity)).toEqual(['warning', 'warning', 'warning']);
  });
});
