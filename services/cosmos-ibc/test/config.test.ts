import { ConfigError, loadConfig } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { cosmosIbcConfig } from '../src/config.ts';
import { classify, EndpointFailure, QueryRejected } from '../src/transport/endpointFailure.ts';

const load = (section: unknown) =>
  loadConfig({
    env: {},
    defaults: { cosmos_ibc: section },
    section: { name: 'cosmos_ibc', schema: cosmosIbcConfig },
  }).section;

describe('config', () => {
  it('applies the documented defaults', () => {
    const cfg = load({
      chains: [
        { chain_id: 'cosmoshub-4', rpc: ['https://rpc.example.org/'], denom: 'uatom', display_denom: 'ATOM' },
      ],
    });
    expect(cfg).toMatchObject({
      max_concurrency_per_endpoint: 8,
      batch_size: 20,
      request_timeout: 10_000,
      retries: 2,
      recheck_expired_interval: 86_400_000,
      auto_scan: true,
    });
    expect(cfg.chains[0]).toEqual({
      chain_id: 'cosmoshub-4',
      rpc: ['https://rpc.example.org'],
      denom: 'uatom',
      display_denom: 'ATOM',
      exponent: 6,
      connections: [],
      scan_interval: 600_000,
      wallets: [],
    });
  });

  it('names every bad field', () => {
    let err: unknown;
    try {
      load({
        chains: [
          { chain_id: 'a', rpc: [], denom: 'x', display_denom: 'X', scan_interval: 'soon' },
          { chain_id: 'a', rpc: ['ftp://x'], denom: 'x', display_denom: 'X', colour: 'red' },
        ],
        max_concurrency_per_endpoint: 0,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cosmos_ibc\.chains\.0\.rpc: at least one RPC endpoint/),
        expect.stringMatching(/^cosmos_ibc\.chains\.0\.scan_interval: "soon" is not a duration/),
        expect.stringMatching(/^cosmos_ibc\.chains\.1\.rpc\.0: an http/),
        expect.stringMatching(/^cosmos_ibc\.chains\.1\.colour: unknown key/),
        expect.stringMatching(/^cosmos_ibc\.max_concurrency_per_endpoint: /),
      ]),
    );
  });

  it('refuses a chain configured twice', () => {
    const chain = { chain_id: 'a', rpc: ['http://x'], denom: 'x', display_denom: 'X' };
    expect(() => load({ chains: [chain, chain] })).toThrow(
      /cosmos_ibc\.chains\.1\.chain_id: duplicate chain "a"/,
    );
  });
});

describe('classify', () => {
  it('separates chain answers, endpoint failures and undecodable bytes', () => {
    const rejected = classify(
      new Error('Query failed with (38): rpc error: code = NotFound desc = x: key not found'),
    );
    expect(rejected).toBeInstanceOf(QueryRejected);
    expect((rejected as QueryRejected).notFound).toBe(true);
    expect(classify(new Error('invalid wire type 7 at offset 1'))).toMatchObject({ kind: 'decode' });
    expect(classify(new RangeError('index out of range: 3 + 10 > 5'))).toMatchObject({ kind: 'decode' });
    const timeout = new EndpointFailure('timeout', 'timeout after 10 ms');
    expect(classify(timeout)).toBe(timeout);
  });
});
