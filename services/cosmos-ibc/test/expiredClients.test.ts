import { callRpc } from '@tocsin/bus';
import { cosmosIbcRpc } from '@tocsin/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, type Stack, startStack, statusOf } from './stack.ts';

/** The original bot's `expired_clients.py` ignore list, kept in PostgreSQL and re-checked. */
let s: Stack;
const CHAIN = 'osmosis-1';
const TWO_WEEKS_S = 14 * 86_400;

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-expired',
    scenario: {
      chains: [
        {
          chain_id: CHAIN,
          denom: 'uosmo',
          display_denom: 'OSMO',
          clients: [
            {
              client_id: '07-tendermint-0',
              counterparty_chain_id: 'cosmoshub-4',
              trusting_period_s: TWO_WEEKS_S,
              last_update_ago_s: 3600,
            },
            {
              client_id: '07-tendermint-1',
              counterparty_chain_id: 'juno-1',
              trusting_period_s: TWO_WEEKS_S,
              last_update_ago_s: TWO_WEEKS_S + 86_400,
            },
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
        {
          chain_id: CHAIN,
          rpc: [`sim:${CHAIN}`],
          denom: 'uosmo',
          display_denom: 'OSMO',
          scan_interval: '10m',
        },
      ],
    },
  });
});
afterAll(async () => s?.stop());

const expiredRows = async () =>
  (
    await s.service.ctx.pool.query('SELECT client_id FROM cosmos_ibc_expired_clients ORDER BY client_id')
  ).rows.map((r) => r.client_id as string);

describe('expired clients', () => {
  it('are reported Expired once and remembered', async () => {
    await s.scan();
    expect(statusOf(s.events, CHAIN, '07-tendermint-1')[0]?.data).toMatchObject({
      status: 'Expired',
      remaining_s: -86_400,
    });
    expect(await expiredRows()).toEqual(['07-tendermint-1']);
  });

  it('are skipped by the next scan', async () => {
    s.clock.advance(10 * 60_000);
    const from = s.events.length;
    const [summary] = await s.scan();
    expect(summary).toMatchObject({ clients: 1, skippedExpired: 1 });
    expect(statusOf(s.events.slice(from), CHAIN, '07-tendermint-1')).toEqual([]);
    expect(statusOf(s.events.slice(from), CHAIN, '07-tendermint-0')).toHaveLength(1);
    expect(s.ofType('scan_completed', from)[0]?.data).toMatchObject({ clients: 1, skipped_expired: 1 });
    // Skipping means not asking the chain at all.
    const before = s.sim.endpointStats(CHAIN).byPath['/ibc.core.client.v1.Query/ClientState'];
    await s.scan();
    expect(s.sim.endpointStats(CHAIN).byPath['/ibc.core.client.v1.Query/ClientState']).toBe(
      (before ?? 0) + 1,
    );
  });

  it('come back after an on-demand re-check once recovered (rpc recheck)', async () => {
    // A governance recovery gives the client a fresh consensus state.
    s.clock.advance(10 * 60_000);
    s.sim.updateClient(CHAIN, '07-tendermint-1');
    const from = s.events.length;
    const reply = cosmosIbcRpc.recheck.result.parse(
      await callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', 'recheck'), { chain_id: CHAIN }),
    );
    await s.nc.flush();
    expect(reply).toEqual({ rechecked: 1 });
    expect(statusOf(s.events.slice(from), CHAIN, '07-tendermint-1')[0]?.data).toMatchObject({
      status: 'Active',
      elapsed_s: 0,
    });
    expect(await expiredRows()).toEqual([]);

    s.clock.advance(10 * 60_000);
    const next = s.events.length;
    const [summary] = await s.scan();
    expect(summary).toMatchObject({ clients: 2, skippedExpired: 0 });
    expect(statusOf(s.events.slice(next), CHAIN, '07-tendermint-1')[0]?.data).toMatchObject({
      status: 'Active',
    });
  });

  it('are re-checked by the daily scan while still expired, then skipped again', async () => {
    // Let the recovered client expire again: two weeks without an update.
    s.clock.advance(TWO_WEEKS_S * 1000 + 60_000);
    await s.scan();
    expect(await expiredRows()).toEqual(['07-tendermint-0', '07-tendermint-1']);

    s.clock.advance(DAY_MS / 2);
    expect((await s.scan())[0]).toMatchObject({ clients: 0, skippedExpired: 2 });

    s.clock.advance(DAY_MS / 2);
    const from = s.events.length;
    expect((await s.scan())[0]).toMatchObject({ clients: 2, skippedExpired: 0 });
    expect(statusOf(s.events.slice(from), CHAIN, '07-tendermint-0')[0]?.data).toMatchObject({
      status: 'Expired',
    });
    expect(await expiredRows()).toEqual(['07-tendermint-0', '07-tendermint-1']);

    s.clock.advance(10 * 60_000);
    expect((await s.scan())[0]).toMatchObject({ clients: 0, skippedExpired: 2 });
  });

  it('recheck of one client reads only that client, and nothing for a client not remembered as expired', async () => {
    const call = (body: unknown) => callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', 'recheck'), body);
    expect(await call({ chain_id: CHAIN, client_id: '07-tendermint-9' })).toEqual({ rechecked: 0 });
    expect(await call({ chain_id: CHAIN, client_id: '07-tendermint-0' })).toEqual({ rechecked: 1 });
  });
});
