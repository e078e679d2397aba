import { beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, ALICE, BOB, OSMO_WALLET, rpc, run, state, useDomainRpc, WALLET } from './domainsHarness.ts';
import { AT } from './domainsRpc.ts';

useDomainRpc('commands-wallets');

describe('$wallets', () => {
  beforeEach(() => {
    state.wallets = [
      {
        chain_id: 'osmosis-1',
        address: OSMO_WALLET,
        denom: 'uosmo',
        display_denom: 'OSMO',
        display_amount: 3,
        projected_empty_s: null,
        observed_at: AT,
      },
      {
        chain_id: 'cosmoshub-4',
        address: WALLET,
        denom: 'uatom',
        display_denom: 'ATOM',
        display_amount: 12.5,
        projected_empty_s: 90_000,
        observed_at: AT,
        owners: [ALICE.owner],
      },
    ];
  });

  it('lists balances, soonest empty first', async () => {
    const r = await run('$wallets');
    expect(r.fields).toEqual([
      {
        name: `cosmoshub-4 · ${WALLET}`,
        value: '**12.5 ATOM** · empty in ~1d 1h · as of 2026-11-21 12:00 UTC',
      },
      { name: `osmosis-1 · ${OSMO_WALLET}`, value: '**3 OSMO** · as of 2026-11-21 12:00 UTC' },
    ]);
  });

  it('filters by chain and lists the caller’s own with `mine`', async () => {
    const mine = await run('$wallets mine');
    expect(mine.title).toBe('Your wallets');
    expect(mine.fields).toHaveLength(1);
    expect((await run('$wallets mine', BOB)).text).toContain('You have registered no wallet');
    await run('$wallets osmosis-1');
    expect(rpc.bodies('cosmos-ibc.wallets')).toEqual([
      { owner: ALICE.owner },
      { owner: BOB.owner },
      { chain_id: 'osmosis-1' },
    ]);
    expect((await run('$wallets juno-1')).text).toContain('Known chains');
  });
});

describe('$register', () => {
  it('subscribes the caller with the threshold in display units', async () => {
    const r = await run(`$register ${WALLET} cosmoshub-4 2`);
    expect(r).toMatchObject({
      title: 'Registered',
      text: `I will tag you when \`${WALLET}\` on Cosmos Hub (\`cosmoshub-4\`) falls below **2 ATOM**.`,
    });
    expect(rpc.bodies('alerter.subscribe')).toEqual([
      { owner: 'discord:100', kind: 'wallet', target: WALLET, chain_id: 'cosmoshub-4', threshold: 2 },
    ]);
    const again = await run(`$register ${WALLET} cosmoshub-4 0.5`);
    expect(again.title).toBe('Threshold updated');
    expect(state.subscriptions).toHaveLength(1);
    expect(state.subscriptions[0]!.threshold).toBe(0.5);
  });

  it('answers an unknown chain with the known chains, and subscribes nothing', async () => {
    const r = await run(`$register ${WALLET} cosmoshub-3 2`);
    expect(r.title).toBe('Unknown chain');
    expect(r.text).toContain('`cosmoshub-4` (Cosmos Hub), `osmosis-1` (Osmosis)');
    expect(rpc.bodies('alerter.subscribe')).toEqual([]);
  });

  it('refuses bad addresses, thresholds and missing arguments with the usage', async () => {
    const typo = await run(`$register ${WALLET.slice(0, -1)}m cosmoshub-4 2`);
    expect(typo.kind).toBe('usage');
    expect(typo.text).toContain('bad checksum');
    expect(typo.text).toContain('Usage: `$register <wallet> <chain_id> <threshold>`');
    expect((await run('$register hello cosmoshub-4 2')).text).toContain('`hello` is not an address');
    expect((await run(`$register ${WALLET} cosmoshub-4 0`)).text).toContain(
      '`threshold` must be greater than 0, got 0',
    );
    expect((await run(`$register ${WALLET} cosmoshub-4 lots`)).text).toContain(
      '`threshold` must be a number, got "lots"',
    );
    expect((await run(`$register ${WALLET}`)).text).toContain('Missing `chain_id`');
    expect(rpc.bodies('alerter.subscribe')).toEqual([]);
  });
});

describe('$deregister', () => {
  beforeEach(async () => {
    await run(`$register ${WALLET} cosmoshub-4 2`, ALICE);
  });

  it('removes the caller’s own registration', async () => {
    const r = await run(`$deregister ${WALLET}`);
    expect(r).toMatchObject({ title: 'Deregistered', kind: 'ok' });
    expect(state.subscriptions).toEqual([]);
    expect(rpc.bodies('alerter.unsubscribe')).toEqual([
      { by: 'discord:100', is_admin: false, kind: 'wallet', target: WALLET },
    ]);
  });

  it('refuses another user, and lets an admin do it', async () => {
    const refused = await run(`$deregister ${WALLET}`, BOB);
    expect(refused).toMatchObject({
      title: 'Not yours',
      text: `Only the user who registered \`${WALLET}\`, or an admin, can deregister it.`,
      kind: 'error',
    });
    expect(state.subscriptions).toHaveLength(1);
    expect((await run(`$deregister ${WALLET} cosmoshub-4`, ADMIN)).title).toBe('Deregistered');
    expect(state.subscriptions).toEqual([]);
  });

  it('says when there is nothing to remove, and shows the usage without a wallet', async () => {
    expect((await run(`$deregister ${OSMO_WALLET}`)).title).toBe('Nothing to remove');
    expect((await run('$deregister')).text).toContain('Missing `wallet`');
  });
});

describe('$recheck', () => {
  it('asks the ingestor to re-check expired clients', async () => {
    state.rechecked = 2;
    expect((await run('$recheck cosmoshub-4 07-tendermint-12')).text).toContain(
      '2 expired clients re-checked',
    );
    expect(rpc.bodies('cosmos-ibc.recheck')).toEqual([
      { chain_id: 'cosmoshub-4', client_id: '07-tendermint-12' },
    ]);
    expect((await run('$recheck nope-1')).title).toBe('Unknown chain');
  });
});
