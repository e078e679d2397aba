import { callRpc } from '@tocsin/bus';
import { cosmosIbcRpc } from '@tocsin/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, type Stack, startStack, statusOf } from './stack.ts';

/**
 * The IBC Client Monitor's documented example (trusting period 51,800 s; alert at 80%), read from the simulator
 * over real cosmjs, and the other kinds of client a chain can have.
 */
let s: Stack;
const HUB = 'cosmoshub-4';
const OSMO = 'osmosis-1';

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-bot',
    common: { display: { name: 'hub relayers', icon_url: 'https://example.org/hub.png' } },
    scenario: {
      chains: [
        {
          chain_id: HUB,
          denom: 'uatom',
          display_denom: 'ATOM',
          start_height: 25_000_000,
          clients: [
            {
              client_id: '07-tendermint-0',
              counterparty_chain_id: 'osmosis-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 41_441,
            },
            {
              client_id: '07-tendermint-1',
              counterparty_chain_id: 'juno-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 41_439,
            },
            {
              client_id: '07-tendermint-2',
              counterparty_chain_id: 'stride-1',
              trusting_period_s: 51_800,
              last_update_ago_s: 60,
              frozen: true,
            },
            {
              client_id: '07-tendermint-3',
              counterparty_chain_id: 'evmos_9001-2',
              trusting_period_s: 51_800,
              last_update_ago_s: 100,
            },
            {
              client_id: '08-wasm-4',
              type: '08-wasm',
              counterparty_chain_id: 'union-1',
              last_update_ago_s: 10,
            },
            {
              client_id: '06-solomachine-5',
              type: '06-solomachine',
              counterparty_chain_id: 'solo',
              last_update_ago_s: 10,
            },
          ],
          connections: [
            { connection_id: 'connection-0', client_id: '07-tendermint-0' },
            { connection_id: 'connection-1', client_id: '07-tendermint-1' },
            { connection_id: 'connection-2', client_id: '07-tendermint-2' },
            { connection_id: 'connection-3', client_id: '08-wasm-4' },
            { connection_id: 'connection-4', client_id: '06-solomachine-5' },
            // An unfinished handshake: not an open connection, so its client is not watched.
            { connection_id: 'connection-5', client_id: '07-tendermint-3', state: 'STATE_INIT' },
            // Two open connections on one client: read once, both listed.
            { connection_id: 'connection-6', client_id: '07-tendermint-0' },
          ],
        },
        {
          chain_id: OSMO,
          clients: [
            { client_id: '07-tendermint-0', counterparty_chain_id: 'cosmoshub-4', last_update_ago_s: 60 },
            { client_id: '07-tendermint-1', counterparty_chain_id: 'juno-1', last_update_ago_s: 60 },
          ],
          connections: [
            { connection_id: 'connection-0', client_id: '07-tendermint-0' },
            { connection_id: 'connection-1', client_id: '07-tendermint-1' },
          ],
        },
      ],
    },
    section: {
      chains: [
        { chain_id: HUB, name: 'Cosmos Hub', rpc: [`sim:${HUB}`], denom: 'uatom', display_denom: 'ATOM' },
        // Only the configured connections, one of which does not exist.
        {
          chain_id: OSMO,
          rpc: [`sim:${OSMO}`],
          denom: 'uosmo',
          display_denom: 'OSMO',
          connections: ['connection-1', 'connection-404'],
        },
      ],
    },
  });
});
afterAll(async () => s?.stop());

describe('the original bot example, simulator → ingestor → events', () => {
  it('announces what it watches with the chain height', async () => {
    await s.nc.flush();
    const [started] = s.ofType('service_started', 0, 'system');
    expect(started?.data).toMatchObject({
      service: 'cosmos-ibc',
      // The instance's own name and icon, for chat (its `display` settings).
      name: 'hub relayers',
      icon_url: 'https://example.org/hub.png',
      watches: [
        { chain_id: HUB, endpoints: [s.sim.chainUrl(HUB)], height: 25_000_000 },
        { chain_id: OSMO, endpoints: [s.sim.chainUrl(OSMO)], height: 1_000_000 },
      ],
    });
    expect(s.service.ctx.heights.get(HUB)).toBe(25_000_000);
  });

  it('reports 41,441 s of 51,800 s as ≥ 0.8 and 41,439 s as < 0.8', async () => {
    const [summary] = await s.scan();
    expect(summary).toMatchObject({
      chainId: HUB,
      clients: 5,
      skippedExpired: 0,
      errors: 0,
      height: 25_000_000,
    });

    const [over] = statusOf(s.events, HUB, '07-tendermint-0');
    expect(over?.data).toMatchObject({
      client_type: '07-tendermint',
      counterparty_chain_id: 'osmosis-1',
      connection_ids: ['connection-0', 'connection-6'],
      status: 'Active',
      trusting_period_s: 51_800,
      elapsed_s: 41_441,
      remaining_s: 10_359,
      last_update: new Date(s.clock.now() - 41_441_000).toISOString(),
      expires_at: new Date(s.clock.now() + 10_359_000).toISOString(),
    });
    expect((over!.data as { elapsed_ratio: number }).elapsed_ratio).toBeGreaterThanOrEqual(0.8);

    const [under] = statusOf(s.events, HUB, '07-tendermint-1');
    expect(under?.data).toMatchObject({ status: 'Active', elapsed_s: 41_439, remaining_s: 10_361 });
    expect((under!.data as { elapsed_ratio: number }).elapsed_ratio).toBeLessThan(0.8);
    expect(over?.dedup_key).toMatch(/^cosmoshub-4:07-tendermint-0:1-\d+:\d+$/);
  });

  it('reports a frozen client as Frozen and other client types as Unsupported, without failing', () => {
    expect(statusOf(s.events, HUB, '07-tendermint-2')[0]?.data).toMatchObject({ status: 'Frozen' });
    expect(statusOf(s.events, HUB, '08-wasm-4')[0]?.data).toMatchObject({
      client_type: '08-wasm',
      status: 'Unsupported',
      trusting_period_s: null,
      elapsed_ratio: null,
    });
    expect(statusOf(s.events, HUB, '06-solomachine-5')[0]?.data).toMatchObject({
      client_type: '06-solomachine',
      status: 'Unsupported',
    });
    expect(statusOf(s.events, HUB, '07-tendermint-3')).toEqual([]);
  });

  it('publishes scan_completed with the height, and no endpoint errors', () => {
    // Both chains report a scan; in any order.
    const done = s.ofType('scan_completed').find((e) => e.chain_id === HUB);
    expect(done?.data).toMatchObject({
      clients: 5,
      wallets: 0,
      errors: 0,
      skipped_expired: 0,
      height: 25_000_000,
    });
    expect(s.ofType('endpoint_error')).toEqual([]);
  });

  it('publishes client_updated when a relayer moved the latest height, and a fresh client_status', async () => {
    const before = statusOf(s.events, HUB, '07-tendermint-1')[0]!.data as {
      latest_height: { revision_height: string };
    };
    s.clock.advance(HOUR_MS);
    s.sim.updateClient(HUB, '07-tendermint-1');
    const from = s.events.length;
    await s.scan(HUB);
    const [updated] = s.ofType('client_updated', from);
    expect(s.ofType('client_updated', from)).toHaveLength(1);
    const after = updated!.data as { latest_height: { revision_height: string } };
    expect(updated?.data).toMatchObject({
      client_id: '07-tendermint-1',
      counterparty_chain_id: 'juno-1',
      previous_height: { revision_number: '1', revision_height: before.latest_height.revision_height },
      last_update: new Date(s.clock.now()).toISOString(),
    });
    expect(BigInt(after.latest_height.revision_height)).toBeGreaterThan(
      BigInt(before.latest_height.revision_height),
    );
    expect(statusOf(s.events.slice(from), HUB, '07-tendermint-1')[0]?.data).toMatchObject({
      elapsed_s: 0,
      elapsed_ratio: 0,
      remaining_s: 51_800,
    });
    // One hour later, the untouched client has moved on: a new client_status, same height, new slot.
    expect(statusOf(s.events.slice(from), HUB, '07-tendermint-0')[0]?.data).toMatchObject({
      elapsed_s: 41_441 + 3600,
    });
  });

  it('checks only the configured connections when some are listed', async () => {
    const from = s.events.length;
    const [summary] = await s.scan(OSMO);
    expect(summary).toMatchObject({ chainId: OSMO, clients: 1, errors: 0 });
    expect(
      s.ofType('client_status', from).map((e) => [e.chain_id, (e.data as { client_id: string }).client_id]),
    ).toEqual([[OSMO, '07-tendermint-1']]);
  });

  it('answers the chat RPC from the latest scan', async () => {
    const call = (method: string, body: unknown) =>
      callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', method), body);
    const chains = cosmosIbcRpc.chains.result.parse(await call('chains', {}));
    expect(chains.chains).toEqual([
      { chain_id: HUB, name: 'Cosmos Hub', denom: 'uatom', display_denom: 'ATOM', exponent: 6 },
      { chain_id: OSMO, name: OSMO, denom: 'uosmo', display_denom: 'OSMO', exponent: 6 },
    ]);
    const clients = cosmosIbcRpc.clients.result.parse(await call('clients', { chain_id: HUB }));
    expect(clients.total).toBe(5);
    // Most urgent first: the client 41,441 + 3,600 s into its 51,800 s.
    expect(clients.clients[0]).toMatchObject({
      client_id: '07-tendermint-0',
      status: 'Active',
      remaining_s: 10_359 - 3600,
    });
    expect(clients.scanned_at).toBe(new Date(s.clock.now()).toISOString());
    expect(clients.scanned_at).not.toBeNull();
    const frozen = cosmosIbcRpc.clients.result.parse(await call('clients', { status: 'frozen' }));
    expect(frozen.clients.map((c) => c.client_id)).toEqual(['07-tendermint-2']);
    const limited = cosmosIbcRpc.clients.result.parse(await call('clients', { limit: 2 }));
    expect(limited.clients).toHaveLength(2);
    expect(limited.total).toBe(6);
    await expect(call('clients', { chain_id: 'nope-1' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('clients', { limit: 'all' })).rejects.toMatchObject({ code: 'bad_request' });
  });

  // Last: it moves the clock.
  it("says how old the chain's latest block is: under a block time when live, growing while it is stalled", async () => {
    type Done = { height: number; latest_block_time: string; block_age_s: number; catching_up: boolean };
    let from = s.events.length;
    await s.scan(OSMO);
    const live = s.ofType('scan_completed', from)[0]!.data as Done;
    expect(live.block_age_s).toBeLessThan(6);
    expect(live.catching_up).toBe(false);
    expect(Date.parse(live.latest_block_time)).toBe(s.clock.now() - live.block_age_s * 1000);
    // The chain halts: ten minutes later the same block is ten minutes older (a fact; the alerter judges it).
    s.sim.stallChain(OSMO);
    s.clock.advance(10 * 60_000);
    from = s.events.length;
    await s.scan(OSMO);
    expect(s.ofType('scan_completed', from)[0]!.data).toMatchObject({
      height: live.height,
      latest_block_time: live.latest_block_time,
      block_age_s: live.block_age_s + 600,
    });
    s.sim.resumeChain(OSMO);
  });
});
