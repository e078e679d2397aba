import { callRpc, serveRpc } from '@tocsin/bus';
import { alerterRpc, cosmosIbcRpc } from '@tocsin/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, type Stack, startStack } from './stack.ts';

/**
 * Relayer wallets from the config and from chat subscriptions ($register, kept by the alerter): balances,
 * burn rate and projected time to empty from the history in PostgreSQL.
 */
let s: Stack;
const HUB = 'cosmoshub-4';
const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
const SUBSCRIBED = 'cosmos1rzkemc5mkfse3z8ug4glvq7srwlaj8wa3a8hq2';
const OWNER = 'discord:123456789012345678';
let alerter: { unsubscribe(): void } | undefined;

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-wallets',
    scenario: {
      chains: [
        {
          chain_id: HUB,
          denom: 'uatom',
          display_denom: 'ATOM',
          wallets: [
            // 1.5 ATOM, spending 0.1 ATOM an hour.
            { address: RELAYER, balance: 1_500_000, spend_per_hour: 100_000 },
            { address: SUBSCRIBED, balance: 25_000_000 },
          ],
        },
      ],
    },
    section: {
      chains: [
        {
          chain_id: HUB,
          rpc: [`sim:${HUB}`],
          denom: 'uatom',
          display_denom: 'ATOM',
          exponent: 6,
          wallets: [{ address: RELAYER, labels: { role: 'hermes' } }],
        },
      ],
    },
  });
  // The alerter's side of `$register`: the subscriptions RPC, answered here as the alerter would.
  alerter = serveRpc({
    nc: s.nc,
    subject: s.env.subjects.rpc('alerter', 'subscriptions'),
    schema: alerterRpc.subscriptions.request,
    handler: async (req) => {
      expect(req.kind).toBe('wallet');
      return {
        subscriptions: [
          {
            id: 's1',
            owner: OWNER,
            kind: 'wallet' as const,
            target: SUBSCRIBED,
            chain_id: HUB,
            threshold: 30,
            created_at: '2026-11-20T00:00:00Z',
          },
          {
            id: 's2',
            owner: OWNER,
            kind: 'wallet' as const,
            target: RELAYER,
            chain_id: HUB,
            threshold: null,
            created_at: '2026-11-20T00:00:00Z',
          },
          {
            id: 's3',
            owner: OWNER,
            kind: 'wallet' as const,
            target: 'osmo1x',
            chain_id: 'osmosis-1',
            threshold: 1,
            created_at: '2026-11-20T00:00:00Z',
          },
        ],
      };
    },
  });
  await s.nc.flush();
});
afterAll(async () => {
  alerter?.unsubscribe();
  await s?.stop();
});

const balancesOf = (address: string, from = 0) =>
  s.ofType('wallet_balance', from).filter((e) => (e.data as { address: string }).address === address);

describe('wallet balances', () => {
  it('reads config and subscribed wallets with display amounts and subscribers', async () => {
    const [summary] = await s.scan();
    expect(summary).toMatchObject({ wallets: 2, errors: 0 });
    expect(balancesOf(RELAYER)[0]?.data).toEqual({
      address: RELAYER,
      denom: 'uatom',
      display_denom: 'ATOM',
      amount: '1500000',
      display_amount: 1.5,
      burn_per_hour: null,
      projected_empty_at: null,
      projected_empty_s: null,
      subscribers: [{ owner: OWNER, threshold: 0 }],
      labels: { role: 'hermes' },
    });
    expect(balancesOf(SUBSCRIBED)[0]?.data).toMatchObject({
      amount: '25000000',
      display_amount: 25,
      subscribers: [{ owner: OWNER, threshold: 30 }],
      labels: {},
    });
  });

  it('computes the burn rate and the projected time to empty as the balance falls', async () => {
    s.clock.advance(HOUR_MS);
    await s.scan();
    s.clock.advance(HOUR_MS);
    const from = s.events.length;
    await s.scan();
    const [latest] = balancesOf(RELAYER, from);
    const data = latest!.data as {
      display_amount: number;
      burn_per_hour: number;
      projected_empty_s: number;
      projected_empty_at: string;
    };
    expect(data.display_amount).toBe(1.3);
    expect(data.burn_per_hour).toBeCloseTo(0.1, 9);
    expect(data.projected_empty_s).toBeCloseTo(13 * 3600, 3);
    expect(Date.parse(data.projected_empty_at)).toBeCloseTo(s.clock.now() + 13 * HOUR_MS, -3);
    // A wallet that does not move burns nothing and has no projection.
    expect(balancesOf(SUBSCRIBED, from)[0]?.data).toMatchObject({
      burn_per_hour: 0,
      projected_empty_s: null,
    });
  });

  it('answers the wallets RPC, by chain and by subscriber', async () => {
    const all = cosmosIbcRpc.wallets.result.parse(
      await callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', 'wallets'), {}),
    );
    expect(all.wallets.map((w) => w.address).sort()).toEqual([SUBSCRIBED, RELAYER].sort());
    expect(all.wallets.find((w) => w.address === RELAYER)).toMatchObject({
      chain_id: HUB,
      display_amount: 1.3,
      display_denom: 'ATOM',
      observed_at: new Date(s.clock.now()).toISOString(),
    });
    const mine = cosmosIbcRpc.wallets.result.parse(
      await callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', 'wallets'), { owner: 'discord:999' }),
    );
    expect(mine.wallets).toEqual([]);
  });

  it('answers the wallet_history RPC: the stored samples in display units and the projected empty time', async () => {
    const call = (body: unknown) => callRpc(s.nc, s.env.subjects.rpc('cosmos-ibc', 'wallet_history'), body);
    const h = cosmosIbcRpc.wallet_history.result.parse(await call({ chain_id: HUB, address: RELAYER }));
    const now = s.clock.now();
    expect(h.points).toEqual([
      { t: new Date(now - 2 * HOUR_MS).toISOString(), amount: 1.5 },
      { t: new Date(now - HOUR_MS).toISOString(), amount: 1.4 },
      { t: new Date(now).toISOString(), amount: 1.3 },
    ]);
    expect(h.display_denom).toBe('ATOM');
    // 0.1 ATOM an hour from 1.3 ATOM: empty in 13 h.
    expect(Date.parse(h.projected_empty_at!)).toBeCloseTo(now + 13 * HOUR_MS, -4);
    const recent = cosmosIbcRpc.wallet_history.result.parse(
      await call({ chain_id: HUB, address: RELAYER, since: new Date(now - HOUR_MS).toISOString() }),
    );
    expect(recent.points.map((p) => p.amount)).toEqual([1.4, 1.3]);
    await expect(call({ chain_id: HUB, address: 'cosmos1nobody' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(call({ chain_id: 'nowhere-1', address: RELAYER })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(call({ chain_id: HUB })).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('keeps the last known subscriptions when the alerter does not answer', async () => {
    alerter?.unsubscribe();
    alerter = undefined;
    await s.nc.flush();
    s.clock.advance(HOUR_MS);
    const from = s.events.length;
    const [summary] = await s.scan();
    expect(summary).toMatchObject({ wallets: 2 });
    expect(balancesOf(SUBSCRIBED, from)[0]?.data).toMatchObject({
      subscribers: [{ owner: OWNER, threshold: 30 }],
    });
  });

  it('keeps the balance history within the configured retention (30 days by default)', async () => {
    const count = async () =>
      (
        await s.service.ctx.pool.query(
          'SELECT count(*)::int AS n FROM cosmos_ibc_wallet_balances WHERE address = $1',
          [RELAYER],
        )
      ).rows[0].n as number;
    expect(await count()).toBe(4);
    s.clock.advance(31 * 24 * HOUR_MS);
    await s.scan();
    expect(await count()).toBe(1);
  });
});
