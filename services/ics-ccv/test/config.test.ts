import { ConfigError, loadConfig } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { icsCcvConfig } from '../src/config.ts';

const load = (section: unknown) =>
  loadConfig({ env: {}, defaults: { ics_ccv: section }, section: { name: 'ics_ccv', schema: icsCcvConfig } })
    .section;
const issues = (section: unknown): string[] => {
  try {
    load(section);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
};

describe('ics_ccv config', () => {
  it('applies the documented defaults (opt-in off, 30 s background, 1 s / 5 s around spawn)', () => {
    expect(
      load({ rpc: 'http://127.0.0.1:26667/provider-1/', provider_chain_id: 'provider-1' }),
    ).toMatchObject({
      rpc: 'http://127.0.0.1:26667/provider-1',
      selection_threshold: 0.66,
      poll_interval: 30_000,
      spawn_poll_fast: 1_000,
      spawn_fast_window: 30_000,
      spawn_poll_slow: 5_000,
      spawn_slow_window: 120_000,
      opt_in: { enabled: false, dry_run: true },
    });
    expect(load({})).toMatchObject({ auto_start: true });
  });

  it('names every bad field, unknown keys included', () => {
    const found = issues({
      rpc: 'ws://nope',
      our_validator: 'cosmos1notanoperator',
      pol_interval: '30s',
      selection_threshold: 2,
      opt_in: { enabled: true, dry_run: false, sign: true },
    });
    const has = (re: RegExp) =>
      expect(
        found.some((i) => re.test(i)),
        `${re}\n${found.join('\n')}`,
      ).toBe(true);
    has(/ics_ccv\.rpc: .*http/);
    has(/ics_ccv\.our_validator: a validator operator address/);
    has(/ics_ccv\.pol_interval: unknown key; did you mean "poll_interval"/);
    has(/ics_ccv\.selection_threshold/);
    has(/ics_ccv\.opt_in\.sign: unknown key/);
  });

  it('wants the provider chain id with the rpc, and a key file to submit MsgOptIn', () => {
    expect(issues({ rpc: 'http://x:1' }).join('\n')).toMatch(
      /ics_ccv\.provider_chain_id: give the provider chain id/,
    );
    expect(issues({ opt_in: { enabled: true, dry_run: false } }).join('\n')).toMatch(
      /ics_ccv\.opt_in\.key_file: submitting MsgOptIn \(dry_run: false\) needs key_file/,
    );
  });
});
