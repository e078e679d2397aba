import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { loadRules } from '../src/rules/loadRules.ts';

describe('correlation rules', () => {
  it('the shipped ibc-relayer incident ties the wallet and client rules by chain_id and counterparty', () => {
    const set = loadRules(alerterConfig.parse({}));
    const inc = set.incidents.get('ibc-relayer');
    expect(inc?.tie).toEqual(['chain_id', 'counterparty']);
    const wallet = set.rules.find((r) => r.id === 'wallet-projected-empty')!;
    expect(wallet.incident).toEqual({ id: 'ibc-relayer', tie: ['chain_id', 'counterparty'], waitMs: null });
    const scope = (labels: Record<string, string>) => ({
      event: { chain_id: 'cosmoshub-4' },
      data: { address: 'cosmos1x', display_denom: 'ATOM', labels },
      params: set.params,
      vars: {},
    });
    expect(wallet.labelsByName.get('counterparty')!.render(scope({ counterparty: 'osmosis-1' }))).toBe(
      'osmosis-1',
    );
    expect(wallet.labelsByName.get('counterparty')!.render(scope({}))).toBe('');
  });
});
