import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revisionNumberOf } from '../src/chainModel.ts';
import { benchScenarioPath, demoScenarioPath } from '../src/cli.ts';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario.ts';
import { DAY_S, HOUR_S, startTestSim } from './fixtures.ts';

function issuesOf(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as ScenarioError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario validation', () => {
  it('names the path of a bad value, a typo and a bad action', () => {
    expect(
      issuesOf({
        chains: [{ chain_id: 'a-1', clients: [{ counterparty_chain_id: 'b-1', type: '09-nope' }] }],
      }),
    ).toEqual([expect.stringMatching(/^chains\[0\]\.clients\[0\]\.type: Invalid option/)]);
    expect(
      issuesOf({
        chains: [{ chain_id: 'a-1', clients: [{ counterparty_chain_id: 'b-1', trusting_period: 5 }] }],
      }),
    ).toEqual(['chains[0].clients[0]: Unrecognized key: "trusting_period"']);
    expect(
      issuesOf({
        chains: [{ chain_id: 'a-1' }],
        timeline: [{ at_s: 1, actions: [{ action: 'explode', chain: 'a-1' }] }],
      }),
    ).toEqual([expect.stringMatching(/^timeline\[0\]\.actions\[0\]\.action: Invalid discriminator/)]);
    expect(issuesOf({ chains: [{ chain_id: 'a-1', endpoints: 'two' }] })).toEqual([
      'chains[0].endpoints: expected a count (1-16) or a list of { fault }',
    ]);
    expect(issuesOf({ chains: [] })).toEqual([expect.stringMatching(/^chains: Too small/)]);
  });

  it('checks references between clients, connections, wallets and timeline', () => {
    const issues = issuesOf({
      chains: [
        {
          chain_id: 'a-1',
          clients: [{ client_id: '07-tendermint-0', counterparty_chain_id: 'b-1' }],
          connections: [{ client_id: '07-tendermint-7' }],
          wallets: [{ address: 'cosmos1x', balance: 5 }],
        },
        { chain_id: 'a-1' },
      ],
      timeline: [
        {
          at_s: 10,
          actions: [
            { action: 'update_client', chain: 'a-1', client_id: '07-tendermint-9' },
            { action: 'freeze_client', chain: 'zz-1', client_id: '07-tendermint-0' },
            { action: 'set_spend_rate', chain: 'a-1', address: 'cosmos1nobody', spend_per_hour: 1 },
            { action: 'set_fault', chain: 'a-1', endpoint: 3, fault: { kind: 'down' } },
          ],
        },
      ],
    });
    expect(issues).toEqual([
      'chains[0].connections[0].client_id: unknown client "07-tendermint-7"',
      'timeline[0].actions[0].client_id: unknown client "07-tendermint-9" on a-1',
      'timeline[0].actions[1].chain: unknown chain "zz-1"',
      'timeline[0].actions[2].address: unknown wallet "cosmos1nobody" on a-1',
      'timeline[0].actions[3].endpoint: a-1 has 1 endpoint(s)',
      'chains[1].chain_id: duplicate chain "a-1"',
    ]);
  });

  it('names the file when loading fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sim-cosmos-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'chains:\n  - chain_id: a-1\n    block_time_s: soon\n');
    await expect(loadScenario(bad)).rejects.toThrow(`invalid ${bad}:\n  chains[0].block_time_s:`);
    const json = join(dir, 'ok.json');
    await writeFile(json, JSON.stringify({ chains: [{ chain_id: 'a-1' }] }));
    expect((await loadScenario(json)).chains[0]!.chainId).toBe('a-1');
  });

  it('numbers clients and connections like ibc-go, across client types, skipping explicit ids', () => {
    const s = parseScenario({
      chains: [
        {
          chain_id: 'a-1',
          clients: [
            { counterparty_chain_id: 'b-1' },
            { client_id: '07-tendermint-1', counterparty_chain_id: 'b-1' },
            { type: '08-wasm', counterparty_chain_id: 'c-1' },
          ],
          connections: [{ client_id: '07-tendermint-0' }],
          generate_clients: { count: 2 },
        },
      ],
    });
    expect(s.chains[0]!.clients.map((c) => c.clientId)).toEqual([
      '07-tendermint-0',
      '07-tendermint-1',
      '08-wasm-2',
      '07-tendermint-3',
      '07-tendermint-4',
    ]);
    expect(s.chains[0]!.connections.map((c) => [c.connectionId, c.clientId])).toEqual([
      ['connection-0', '07-tendermint-0'],
      ['connection-1', '07-tendermint-3'],
      ['connection-2', '07-tendermint-4'],
    ]);
  });

  it('generates clients deterministically from the seed, within the given ranges', () => {
    const gen = (seed: number) =>
      parseScenario({
        chains: [
          {
            chain_id: 'a-1',
            generate_clients: {
              count: 500,
              seed,
              counterparty_chain_ids: ['b-1', 'c-2'],
              trusting_period_s: { min: 864_000, max: 1_209_600 },
              last_update_ago_s: { min: 0, max: 1_000_000 },
              frozen_ratio: 0.1,
            },
          },
        ],
      }).chains[0]!;
    const a = gen(1);
    expect(gen(1)).toEqual(a);
    expect(gen(2).clients.map((c) => c.lastUpdateAgoS)).not.toEqual(a.clients.map((c) => c.lastUpdateAgoS));
    expect(a.clients).toHaveLength(500);
    expect(a.connections).toHaveLength(500);
    expect(a.connections.every((c) => c.state === 'STATE_OPEN')).toBe(true);
    expect(a.clients.every((c) => c.trustingPeriodS >= 864_000 && c.trustingPeriodS <= 1_209_600)).toBe(true);
    expect(a.clients.every((c) => c.lastUpdateAgoS >= 0 && c.lastUpdateAgoS <= 1_000_000)).toBe(true);
    expect(new Set(a.clients.map((c) => c.counterpartyChainId))).toEqual(new Set(['b-1', 'c-2']));
    const frozen = a.clients.filter((c) => c.frozen).length;
    expect(frozen).toBeGreaterThan(20);
    expect(frozen).toBeLessThan(90);
  });

  it('takes the revision number from the chain id suffix', () => {
    expect(revisionNumberOf('cosmoshub-4')).toBe(4n);
    expect(revisionNumberOf('evmos_9001-2')).toBe(2n);
    expect(revisionNumberOf('okwme')).toBe(0n);
    expect(revisionNumberOf('chain-0')).toBe(0n);
    expect(revisionNumberOf('chain-01')).toBe(0n);
  });
});

describe('shipped scenarios', () => {
  it('bench: 5,000 clients with open connections over 3 chains, 20 ms latency', async () => {
    const s = await loadScenario(benchScenarioPath);
    expect(s.chains).toHaveLength(3);
    expect(s.chains.reduce((n, c) => n + c.clients.length, 0)).toBe(5000);
    for (const c of s.chains) {
      expect(c.connections.filter((cn) => cn.state === 'STATE_OPEN')).toHaveLength(c.clients.length);
      expect(c.fault.latencyMs).toBe(20);
    }
  });

  it('demo: each alert case is present, seen through cosmjs', async () => {
    const t = await startTestSim(await loadScenario(demoScenarioPath));
    const hub = await t.query('cosmoshub-4');
    const now = t.clock.now();
    const remainingS = async (clientId: string) => {
      const cs = await hub.ibc.client.stateTm(clientId);
      const consensus = await hub.ibc.client.consensusStateTm(clientId, cs.latestHeight);
      const elapsed = now / 1000 - Number(consensus.timestamp!.seconds);
      return {
        remaining: Number(cs.trustingPeriod!.seconds) - elapsed,
        fraction: elapsed / Number(cs.trustingPeriod!.seconds),
      };
    };
    expect((await remainingS('07-tendermint-0')).fraction).toBeLessThan(0.8);
    const warning = await remainingS('07-tendermint-1');
    expect(warning.fraction).toBeGreaterThan(0.8);
    expect(warning.remaining).toBeLessThan(48 * HOUR_S);
    expect(warning.remaining).toBeGreaterThan(12 * HOUR_S);
    expect((await remainingS('07-tendermint-2')).remaining).toBeLessThan(12 * HOUR_S);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-2')).toBe('Active');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-3')).toBe('Expired');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-4')).toBe('Frozen');
    expect((await hub.ibc.client.state('08-wasm-5')).clientState?.typeUrl).toBe(
      '/ibc.lightclients.wasm.v1.ClientState',
    );
    expect((await hub.ibc.connection.allConnections()).connections.length).toBeGreaterThanOrEqual(3);

    // The draining wallet is empty within 24 h, the other is not.
    const osmo = await t.query('osmosis-1');
    const drainer = 'osmo10dkcdfdl9sfvsm4eayyjqlsrkvn4qytnqwpyw3';
    const relayer = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
    t.clock.advance(DAY_S * 1000);
    expect((await osmo.bank.balance(drainer, 'uosmo')).amount).toBe('0');
    expect(BigInt((await hub.bank.balance(relayer, 'uatom')).amount)).toBeGreaterThan(0n);
  });
});
