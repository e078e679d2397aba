import { describe, expect, it } from 'vitest';
import { startTestSim } from './fixtures.ts';

const RELAYER = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
const HOUR_MS = 3_600_000;

const scenario = {
  chains: [
    {
      chain_id: 'cosmoshub-4',
      denom: 'uatom',
      wallets: [
        { address: RELAYER, balance: 1_500_000, spend_per_hour: 100_000 },
        {
          address: RELAYER,
          denom: 'ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2',
          balance: '7',
        },
      ],
    },
  ],
};

describe('bank queries through real cosmjs', () => {
  it('returns a balance in base units, and 0 for a denom the address does not hold', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    expect(await q.bank.balance(RELAYER, 'uatom')).toEqual({ denom: 'uatom', amount: '1500000' });
    expect(await q.bank.balance(RELAYER, 'uosmo')).toEqual({ denom: 'uosmo', amount: '0' });
    expect(await q.bank.balance('cosmos1nobody', 'uatom')).toEqual({ denom: 'uatom', amount: '0' });
  });

  it('lists all balances sorted by denom', async () => {
    const q = await (await startTestSim(scenario)).query('cosmoshub-4');
    const all = await q.bank.allBalances(RELAYER);
    expect(all.map((c) => c.denom)).toEqual([
      'ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2',
      'uatom',
    ]);
  });

  it('spends linearly with simulated time and stops at zero, dropping the denom from AllBalances', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    t.clock.advance(HOUR_MS / 2);
    expect((await q.bank.balance(RELAYER, 'uatom')).amount).toBe('1450000');
    t.clock.advance(9.5 * HOUR_MS);
    expect((await q.bank.balance(RELAYER, 'uatom')).amount).toBe('500000');
    t.clock.advance(100 * HOUR_MS);
    expect((await q.bank.balance(RELAYER, 'uatom')).amount).toBe('0');
    expect((await q.bank.allBalances(RELAYER)).map((c) => c.denom)).not.toContain('uatom');
  });

  it('sets balances and spend rates at runtime, keeping what was already spent', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    t.clock.advance(2 * HOUR_MS); // 1.3M left
    t.sim.setSpendRate('cosmoshub-4', RELAYER, 0);
    t.clock.advance(10 * HOUR_MS);
    expect((await q.bank.balance(RELAYER, 'uatom')).amount).toBe('1300000');

    t.sim.setBalance('cosmoshub-4', RELAYER, 5_000n);
    expect((await q.bank.balance(RELAYER, 'uatom')).amount).toBe('5000');
    t.sim.setBalance('cosmoshub-4', 'cosmos1new', '42', 'uatom');
    expect((await q.bank.balance('cosmos1new', 'uatom')).amount).toBe('42');
  });
});
