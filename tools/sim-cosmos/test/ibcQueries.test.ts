import { createProtobufRpcClient } from '@cosmjs/stargate';
import { Comet38Client } from '@cosmjs/tendermint-rpc';
import { State } from 'cosmjs-types/ibc/core/connection/v1/connection';
import { QueryClientImpl as ConnectionQuery } from 'cosmjs-types/ibc/core/connection/v1/query';
import { ClientState as WasmClientState } from 'cosmjs-types/ibc/lightclients/wasm/v1/wasm';
import { describe, expect, it } from 'vitest';
import { DAY_S, HOUR_S, startTestSim, TWO_WEEKS_S } from './fixtures.ts';

const scenario = {
  chains: [
    {
      chain_id: 'cosmoshub-4',
      start_height: 25_000_000,
      clients: [
        { client_id: '07-tendermint-0', counterparty_chain_id: 'osmosis-1', last_update_ago_s: HOUR_S },
        { client_id: '07-tendermint-1', counterparty_chain_id: 'juno-1', last_update_ago_s: TWO_WEEKS_S + 1 },
        {
          client_id: '07-tendermint-2',
          counterparty_chain_id: 'okwme',
          last_update_ago_s: 600,
          frozen: true,
        },
        {
          client_id: '08-wasm-3',
          type: '08-wasm' as const,
          counterparty_chain_id: 'union-1',
          last_update_ago_s: DAY_S,
        },
        { client_id: '06-solomachine-4', type: '06-solomachine' as const, counterparty_chain_id: 'solo' },
        {
          client_id: '07-tendermint-5',
          counterparty_chain_id: 'stride-1',
          trusting_period_s: 10 * DAY_S,
          last_update_ago_s: 41_441,
          latest_height: 777,
        },
      ],
      connections: [
        {
          connection_id: 'connection-0',
          client_id: '07-tendermint-0',
          counterparty: { client_id: '07-tendermint-9' },
        },
        { connection_id: 'connection-1', client_id: '07-tendermint-1' },
        { connection_id: 'connection-2', client_id: '07-tendermint-0', state: 'STATE_TRYOPEN' as const },
        { connection_id: 'connection-3', client_id: '08-wasm-3', state: 'STATE_INIT' as const },
      ],
    },
    { chain_id: 'osmosis-1', start_height: 40_000_000, block_time_s: 5 },
  ],
};

describe('IBC client queries through real cosmjs', () => {
  it('connects with the Comet38 client and reports status with the chain id and a moving height', async () => {
    const t = await startTestSim(scenario);
    const comet = await t.comet('cosmoshub-4');
    expect(comet).toBeInstanceOf(Comet38Client);
    const before = await comet.status();
    expect(before.nodeInfo.network).toBe('cosmoshub-4');
    expect(before.nodeInfo.version).toBe('0.38.17');
    expect(before.syncInfo.latestBlockHeight).toBe(25_000_000);
    expect(before.syncInfo.latestBlockTime.getTime()).toBe(t.clock.now());

    t.clock.advance(60_000);
    const after = await comet.status();
    expect(after.syncInfo.latestBlockHeight).toBe(25_000_010);
    const block = await comet.block(25_000_004);
    expect(block.block.header.height).toBe(25_000_004);
    expect(block.block.header.chainId).toBe('cosmoshub-4');
    expect(block.block.header.time.getTime()).toBe(t.sim.startMs + 4 * 6000);
    expect((await comet.block()).block.header.height).toBe(25_000_010);
  });

  it('serves each chain at its own path', async () => {
    const t = await startTestSim(scenario);
    const osmo = await t.comet('osmosis-1');
    expect((await osmo.status()).nodeInfo.network).toBe('osmosis-1');
    expect(t.sim.chainUrl('osmosis-1')).toBe(`${t.sim.url}/osmosis-1`);
  });

  it('returns a Tendermint client state with trusting period, latest height and revision from the chain id', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    const cs = await q.ibc.client.stateTm('07-tendermint-0');
    expect(cs.chainId).toBe('osmosis-1');
    expect(cs.trustingPeriod?.seconds).toBe(BigInt(TWO_WEEKS_S));
    expect(cs.latestHeight?.revisionNumber).toBe(1n);
    expect(cs.frozenHeight?.revisionHeight).toBe(0n);
    // osmosis-1 is simulated: the height is where it was an hour before start (5 s blocks).
    expect(cs.latestHeight?.revisionHeight).toBe(BigInt(40_000_000 - HOUR_S / 5));

    const stride = await q.ibc.client.stateTm('07-tendermint-5');
    expect(stride.latestHeight).toEqual({ revisionNumber: 1n, revisionHeight: 777n });
    const frozen = await q.ibc.client.stateTm('07-tendermint-2');
    expect(frozen.latestHeight?.revisionNumber).toBe(0n); // "okwme" has no revision suffix
    expect(frozen.frozenHeight).toEqual({ revisionNumber: 0n, revisionHeight: 1n });
  });

  it('gives other light client types their own typeUrl, which stateTm rejects', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    const wasm = await q.ibc.client.state('08-wasm-3');
    expect(wasm.clientState?.typeUrl).toBe('/ibc.lightclients.wasm.v1.ClientState');
    expect(WasmClientState.decode(wasm.clientState!.value).latestHeight.revisionNumber).toBe(1n);
    const solo = await q.ibc.client.state('06-solomachine-4');
    expect(solo.clientState?.typeUrl).toBe('/ibc.lightclients.solomachine.v3.ClientState');
    await expect(q.ibc.client.stateTm('08-wasm-3')).rejects.toThrow(/Unexpected client state type/);
  });

  it('fails like a node for an unknown client (code 38) and an unknown query path (code 6)', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    await expect(q.ibc.client.state('07-tendermint-99')).rejects.toThrow(
      /Query failed with \(38\).*not found/,
    );
    await expect(q.queryAbci('/ibc.core.client.v1.Query/Nope', new Uint8Array())).rejects.toThrow(
      /Query failed with \(6\)/,
    );
    const comet = await t.comet('cosmoshub-4');
    const raw = await comet.abciQuery({ path: '/no.such.Query/Path', data: new Uint8Array() });
    expect(raw.code).toBe(6);
    expect(raw.height).toBe(25_000_000);
  });

  it('pages ClientStates with next_key, and allStates collects every page', async () => {
    const t = await startTestSim({
      chains: [
        {
          chain_id: 'provider-1',
          generate_clients: { count: 250, seed: 7, last_update_ago_s: { min: 0, max: 1000 } },
        },
      ],
    });
    const q = await t.query('provider-1');
    const first = await q.ibc.client.states();
    expect(first.clientStates).toHaveLength(100);
    expect(first.pagination?.total).toBe(250n);
    expect(first.pagination?.nextKey.length).toBeGreaterThan(0);
    const second = await q.ibc.client.states(first.pagination!.nextKey);
    expect(second.clientStates).toHaveLength(100);
    expect(second.clientStates[0]!.clientId > first.clientStates.at(-1)!.clientId).toBe(true);

    const all = await q.ibc.client.allStates();
    const ids = all.clientStates.map((c) => c.clientId);
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...ids].sort()); // store order: lexicographic
    expect(t.sim.endpointStats('provider-1').byPath['/ibc.core.client.v1.Query/ClientStates']).toBe(5);
  });

  it('returns consensus states whose timestamp is start minus last_update_ago_s, by height or latest', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    const cs = await q.ibc.client.stateTm('07-tendermint-5');
    const byHeight = await q.ibc.client.consensusStateTm('07-tendermint-5', cs.latestHeight);
    expect(Number(byHeight.timestamp?.seconds) * 1000).toBe(t.sim.startMs - 41_441_000);

    const latest = await q.ibc.client.consensusState('07-tendermint-5'); // sends latest_height: true
    expect(latest.consensusState?.typeUrl).toBe('/ibc.lightclients.tendermint.v1.ConsensusState');
    expect(latest.consensusState?.value).toEqual(
      (await q.ibc.client.consensusState('07-tendermint-5')).consensusState?.value,
    );
    const latestTm = await q.ibc.client.consensusStateTm('07-tendermint-5');
    expect(latestTm.timestamp).toEqual(byHeight.timestamp);

    // cosmjs' consensusState(id, h) sends revision 0; stride-1 is revision 1, so that height does not exist.
    await expect(q.ibc.client.consensusState('07-tendermint-5', 777)).rejects.toThrow(/\(38\)/);
    await expect(
      q.ibc.client.consensusStateTm('07-tendermint-5', { revisionNumber: 1n, revisionHeight: 0n }),
    ).rejects.toThrow(/\(18\).*cannot be 0/);
  });

  it('computes ClientStatus like ibc-go: Active, Expired, Frozen, Unknown, and expiry as time passes', async () => {
    const t = await startTestSim(scenario);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-0')).toBe('Active');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-1')).toBe('Expired');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-2')).toBe('Frozen');
    expect(await t.clientStatus('cosmoshub-4', '06-solomachine-4')).toBe('Active');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-404')).toBe('Unknown');

    // 07-tendermint-5: 10-day trusting period, updated 41441 s before start.
    const expiresAtMs = t.sim.startMs + (10 * DAY_S - 41_441) * 1000;
    t.clock.set(expiresAtMs - 1);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-5')).toBe('Active');
    t.clock.set(expiresAtMs);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-5')).toBe('Expired');
  });

  it('updates and freezes clients at runtime', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    t.clock.advance(5 * DAY_S * 1000);
    t.sim.updateClient('cosmoshub-4', '07-tendermint-1');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-1')).toBe('Active');
    const cs = await q.ibc.client.stateTm('07-tendermint-1');
    const consensus = await q.ibc.client.consensusStateTm('07-tendermint-1');
    expect(Number(consensus.timestamp?.seconds) * 1000).toBe(t.clock.now());
    expect(cs.latestHeight?.revisionNumber).toBe(1n);
    // The old consensus state is still there, as on chain.
    t.sim.updateClient('cosmoshub-4', '07-tendermint-1', { height: 999_999_999 });
    expect((await q.ibc.client.stateTm('07-tendermint-1')).latestHeight?.revisionHeight).toBe(999_999_999n);
    expect(await q.ibc.client.consensusStateTm('07-tendermint-1', cs.latestHeight)).toBeDefined();

    t.sim.freezeClient('cosmoshub-4', '07-tendermint-0');
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-0')).toBe('Frozen');
  });
});

describe('IBC connection queries through real cosmjs', () => {
  it('lists connections with their states, paged, and the chain height', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    const res = await q.ibc.connection.connections();
    expect(res.connections.map((c) => [c.id, c.state])).toEqual([
      ['connection-0', State.STATE_OPEN],
      ['connection-1', State.STATE_OPEN],
      ['connection-2', State.STATE_TRYOPEN],
      ['connection-3', State.STATE_INIT],
    ]);
    expect(res.connections[0]!.counterparty?.clientId).toBe('07-tendermint-9');
    expect(new TextDecoder().decode(res.connections[0]!.counterparty?.prefix?.keyPrefix)).toBe('ibc');
    expect(res.height).toEqual({ revisionNumber: 4n, revisionHeight: 25_000_000n });
    expect(res.pagination?.nextKey).toHaveLength(0);
  });

  it('pages many connections with limit and next_key', async () => {
    const t = await startTestSim({
      chains: [{ chain_id: 'hub-1', generate_clients: { count: 30, connection_state: 'STATE_INIT' } }],
    });
    const q = await t.query('hub-1');
    const rpc = new ConnectionQuery(createProtobufRpcClient(q));
    const seen: string[] = [];
    let key: Uint8Array = new Uint8Array();
    do {
      const page = await rpc.Connections({
        pagination: { key, offset: 0n, limit: 7n, countTotal: false, reverse: false },
      });
      expect(page.connections.length).toBeLessThanOrEqual(7);
      expect(page.connections.every((c) => c.state === State.STATE_INIT)).toBe(true);
      seen.push(...page.connections.map((c) => c.id));
      key = page.pagination!.nextKey;
    } while (key.length);
    expect(seen).toHaveLength(30);
    expect((await q.ibc.connection.allConnections()).connections).toHaveLength(30);
  });

  it('answers Connection, ConnectionClientState and ClientConnections', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    const conn = await q.ibc.connection.connection('connection-1');
    expect(conn.connection?.clientId).toBe('07-tendermint-1');
    expect(conn.connection?.state).toBe(State.STATE_OPEN);
    expect(conn.connection?.versions[0]?.identifier).toBe('1');

    const cs = await q.ibc.connection.clientState('connection-0');
    expect(cs.identifiedClientState?.clientId).toBe('07-tendermint-0');
    expect(cs.identifiedClientState?.clientState?.typeUrl).toBe(
      '/ibc.lightclients.tendermint.v1.ClientState',
    );

    const paths = await q.ibc.connection.clientConnections('07-tendermint-0');
    expect(paths.connectionPaths).toEqual(['connection-0', 'connection-2']);

    await expect(q.ibc.connection.connection('connection-77')).rejects.toThrow(/\(38\)/);
    await expect(q.ibc.connection.clientConnections('06-solomachine-4')).rejects.toThrow(/\(38\)/);
  });
});
