import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, knownSecrets, loadConfig } from '@tocsin/runtime';
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

describe('rpc_file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cosmos-ibc-rpc-'));
  const file = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  const hub = (over: Record<string, unknown>) => ({
    chain_id: 'cosmoshub-4',
    denom: 'uatom',
    display_denom: 'ATOM',
    ...over,
  });
  const issuesOf = (section: unknown): string[] => {
    try {
      load(section);
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
    return [];
  };

  it('reads the URLs of a 0600 file in order, skipping blank lines and comments, and registers their secrets', () => {
    const path = file(
      'hub',
      '# provider with a key\nhttps://user:pa55word-hub@rpc.example.org/?apikey=k3y-0123456789\n\nhttps://rpc.example.net/\n',
    );
    const cfg = load({ chains: [hub({ rpc_file: path })] });
    expect(cfg.chains[0]!.rpc).toEqual([
      'https://user:pa55word-hub@rpc.example.org/?apikey=k3y-0123456789',
      'https://rpc.example.net',
    ]);
    expect(cfg.chains[0]).not.toHaveProperty('rpc_file');
    // Scrubbed from every log line from now on: the password, the key, the whole URL.
    expect(knownSecrets()).toContain('pa55word-hub');
    expect(knownSecrets()).toContain('k3y-0123456789');
    expect(knownSecrets()).toContain('https://user:pa55word-hub@rpc.example.org/?apikey=k3y-0123456789');
    // A URL without credentials is not a secret (it stays readable in logs).
    expect(knownSecrets()).not.toContain('https://rpc.example.net/');
  });

  it('names the field for a readable-by-others, missing or bad file, without quoting a line', () => {
    const open = file('open', 'https://user:pw@rpc.example.org\n', 0o644);
    const bad = file('bad', 'https://rpc.example.org\nuser:hunter22@rpc.example.org\n');
    const empty = file('empty', '# nothing yet\n');
    const issues = issuesOf({
      chains: [
        hub({ chain_id: 'a-1', rpc_file: open }),
        hub({ chain_id: 'b-1', rpc_file: join(dir, 'missing') }),
        hub({ chain_id: 'c-1', rpc_file: bad }),
        hub({ chain_id: 'd-1', rpc_file: empty }),
      ],
    });
    expect(issues).toEqual([
      expect.stringMatching(
        /^cosmos_ibc\.chains\.0\.rpc_file: secret file .*open is readable by group\/others.*chmod 600/,
      ),
      expect.stringMatching(/^cosmos_ibc\.chains\.1\.rpc_file: secret file .*missing cannot be read: ENOENT/),
      `cosmos_ibc.chains.2.rpc_file: line 2 of ${bad} is not an http:// or https:// URL of a CometBFT RPC endpoint`,
      `cosmos_ibc.chains.3.rpc_file: no RPC URL in ${empty}`,
    ]);
    expect(issues.join('\n')).not.toContain('hunter22');
  });

  it('takes rpc or rpc_file, not both and not neither', () => {
    const path = file('one', 'https://rpc.example.org\n');
    expect(issuesOf({ chains: [hub({ rpc: ['https://rpc.example.org'], rpc_file: path })] })).toEqual([
      'cosmos_ibc.chains.0.rpc: give the RPC URLs in rpc or in rpc_file (one of them)',
    ]);
    expect(issuesOf({ chains: [hub({})] })).toEqual([
      'cosmos_ibc.chains.0.rpc: give the RPC URLs in rpc or in rpc_file (one of them)',
    ]);
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
