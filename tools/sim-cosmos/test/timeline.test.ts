import { Comet38Client, connectComet, HttpClient } from '@cosmjs/tendermint-rpc';
import { ManualClock } from '@tocsin/runtime/clock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCosmosSim } from '../src/simulator.ts';
import { closeAfterTest, startTestSim } from './fixtures.ts';

/** Where the simulator's tests start their clock. */
const SIM_START = Date.parse('2025-06-01T12:00:00Z');

const WALLET = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';

const scenario = {
  chains: [
    {
      chain_id: 'cosmoshub-4',
      denom: 'uatom',
      clients: [
        { client_id: '07-tendermint-0', counterparty_chain_id: 'osmosis-1', last_update_ago_s: 1000 },
        { client_id: '07-tendermint-1', counterparty_chain_id: 'osmosis-1' },
      ],
      wallets: [{ address: WALLET, balance: 1000, spend_per_hour: 0 }],
    },
    { chain_id: 'osmosis-1', start_height: 500, block_time_s: 5 },
  ],
  timeline: [
    // Listed out of order on purpose: steps run by time.
    { at_s: 300, actions: [{ action: 'set_fault' as const, chain: 'cosmoshub-4', fault: null }] },
    {
      at_s: 100,
      actions: [
        { action: 'update_client' as const, chain: 'cosmoshub-4', client_id: '07-tendermint-0' },
        { action: 'freeze_client' as const, chain: 'cosmoshub-4', client_id: '07-tendermint-1' },
        { action: 'set_balance' as const, chain: 'cosmoshub-4', address: WALLET, amount: '7200' },
        { action: 'set_spend_rate' as const, chain: 'cosmoshub-4', address: WALLET, spend_per_hour: 3600 },
      ],
    },
    {
      at_s: 200,
      actions: [{ action: 'set_fault' as const, chain: 'cosmoshub-4', fault: { kind: 'http_500' as const } }],
    },
  ],
};

describe('timeline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('applies steps at their own time once the clock has passed them, checked on each request', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    const before = await q.ibc.client.consensusStateTm('07-tendermint-0');
    expect(Number(before.timestamp!.seconds) * 1000).toBe(t.sim.startMs - 1_000_000);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-1')).toBe('Active');

    // Jump well past the step: it still takes effect at start + 100 s, not at "now".
    t.clock.advance(150_000);
    const after = await q.ibc.client.consensusStateTm('07-tendermint-0');
    expect(Number(after.timestamp!.seconds) * 1000).toBe(t.sim.startMs + 100_000);
    // The new height is osmosis-1's height at that moment (5 s blocks from 500).
    expect((await q.ibc.client.stateTm('07-tendermint-0')).latestHeight?.revisionHeight).toBe(520n);
    expect(await t.clientStatus('cosmoshub-4', '07-tendermint-1')).toBe('Frozen');
    // 7200 set at 100 s, spending 3600/h for the 50 s since.
    expect((await q.bank.balance(WALLET, 'uatom')).amount).toBe('7150');
  });

  it('sets and clears faults on schedule', async () => {
    const t = await startTestSim(scenario);
    const comet = closeAfterTest(
      Comet38Client.create(new HttpClient(t.sim.chainUrl('cosmoshub-4'), 5000)),
      (c) => c.disconnect(),
    );
    expect((await comet.status()).nodeInfo.network).toBe('cosmoshub-4');
    t.clock.advance(250_000);
    // Each request catches up with the clock before its fault is looked up.
    await expect(comet.status()).rejects.toThrow(/500/);
    t.clock.advance(100_000);
    expect((await comet.status()).nodeInfo.network).toBe('cosmoshub-4');
  });

  it('also catches up on a timer, driven by the injected clock', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = new ManualClock(SIM_START);
    const sim = closeAfterTest(await startCosmosSim({ scenario, clock, tickIntervalMs: 1000 }), (s) =>
      s.close(),
    );
    const hub = sim.network.chain('cosmoshub-4');
    clock.advance(120_000);
    expect(hub.clients.get('07-tendermint-1')!.frozen).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(hub.clients.get('07-tendermint-1')!.frozen).toBe(true);
    expect(hub.balanceAt(WALLET, 'uatom', clock.now())).toBe(7180n);
  });

  it('stalls a chain on schedule: height and block time stay until it resumes, then blocks go on from there', async () => {
    const t = await startTestSim({
      chains: [{ chain_id: 'osmosis-1', start_height: 500, block_time_s: 5 }],
      timeline: [
        { at_s: 60, actions: [{ action: 'stall_chain', chain: 'osmosis-1' }] },
        { at_s: 660, actions: [{ action: 'resume_chain', chain: 'osmosis-1' }] },
      ],
    });
    const comet = closeAfterTest(
      Comet38Client.create(new HttpClient(t.sim.chainUrl('osmosis-1'), 5000)),
      (c) => c.disconnect(),
    );
    const head = async () => {
      const { syncInfo } = await comet.status();
      return { height: syncInfo.latestBlockHeight, time: syncInfo.latestBlockTime.getTime() - t.sim.startMs };
    };
    t.clock.advance(30_000);
    expect(await head()).toEqual({ height: 506, time: 30_000 });
    // Stalled at 60 s: ten minutes later the head is still the block of 60 s.
    t.clock.advance(570_000);
    expect(await head()).toEqual({ height: 512, time: 60_000 });
    // Resumed at 660 s: 20 s later, four more blocks, stamped after the stall.
    t.clock.advance(80_000);
    expect(await head()).toEqual({ height: 516, time: 680_000 });
    // The API does the same, from now.
    t.sim.stallChain('osmosis-1');
    t.clock.advance(100_000);
    expect(await head()).toEqual({ height: 516, time: 680_000 });
    t.sim.resumeChain('osmosis-1');
    t.clock.advance(5_000);
    expect(await head()).toEqual({ height: 517, time: 785_000 });
  });

  it('emits scheduled Tx events to subscribers', async () => {
    const t = await startTestSim({
      chains: [{ chain_id: 'provider-1' }],
      timeline: [
        {
          at_s: 10,
          actions: [
            {
              action: 'emit_tx',
              chain: 'provider-1',
              events: [
                { type: 'create_consumer', attributes: { consumer_id: '3', consumer_chain_id: 'c-1' } },
              ],
            },
          ],
        },
      ],
    });
    const comet = closeAfterTest(
      (await connectComet(t.sim.chainUrl('provider-1').replace('http', 'ws'))) as Comet38Client,
      (c) => c.disconnect(),
    );
    const received = new Promise<string | undefined>((resolve, reject) => {
      const sub = comet.subscribeTx('create_consumer.consumer_id EXISTS').subscribe({
        next: (tx) => {
          sub.unsubscribe();
          resolve(tx.result.events[0]?.attributes.find((a) => a.key === 'consumer_chain_id')?.value);
        },
        error: reject,
      });
    });
    await vi.waitFor(() => expect(t.sim.subscriberCount('provider-1')).toBe(1), { timeout: 15_000 });
    t.clock.advance(10_000);
    t.sim.tick();
    expect(await received).toBe('c-1');
  });
});
