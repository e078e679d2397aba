import {
  createProtobufRpcClient,
  QueryClient,
  setupIbcExtension,
  setupStakingExtension,
} from '@cosmjs/stargate';
import { Comet38Client, connectComet, WebsocketClient } from '@cosmjs/tendermint-rpc';
import { ConsumerPhase, ProviderQueryClient } from '@tocsin/ics-proto';
import { ManualClock } from '@tocsin/runtime';
import { QueryValidatorsRequest, QueryValidatorsResponse } from 'cosmjs-types/cosmos/staking/v1beta1/query';
import { afterEach, describe, expect, it } from 'vitest';
import {
  everyPhaseScenarioPath,
  type IcsSim,
  loadScenario,
  noProviderScenarioPath,
  startIcsSim,
} from '../src/index.ts';

const T0 = Date.parse('2026-12-01T00:00:00Z');
let sim: IcsSim | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function clients(s: IcsSim) {
  const comet = await connectComet(s.rpcUrl);
  const q = QueryClient.withExtensions(comet, setupStakingExtension);
  return { comet, q, provider: new ProviderQueryClient(createProtobufRpcClient(q)) };
}

describe('sim-ics with the real cosmjs clients', () => {
  it('walks a consumer through every phase; launch and failed launch are silent', async () => {
    const clock = new ManualClock(T0);
    sim = await startIcsSim({
      scenario: await loadScenario(everyPhaseScenarioPath),
      clock,
      tickIntervalMs: 0,
    });
    const { comet, provider, q } = await clients(sim);
    expect(await comet.status()).toMatchObject({ nodeInfo: { network: 'provider-1' } });
    const phaseOf = async (id: string) => (await provider.consumerChain(id)).phase;

    clock.set(T0 + 10_000);
    expect(await phaseOf('0')).toBe('CONSUMER_PHASE_REGISTERED');
    clock.set(T0 + 20_000);
    const c0 = await provider.consumerChain('0');
    expect(c0.phase).toBe('CONSUMER_PHASE_INITIALIZED');
    expect(Number(c0.initParams?.spawnTime?.seconds) * 1000).toBe(T0 + 80_000);
    clock.set(T0 + 50_000);
    expect(await provider.optedInValidators('0')).toEqual([
      sim.validator('alice').consAddress,
      sim.validator('bob').consAddress,
    ]);
    expect((await provider.addressPairs('0')).map((p) => p.providerAddress)).toHaveLength(2);
    clock.set(T0 + 85_000);
    const launched = await provider.consumerChain('0');
    expect(launched.phase).toBe('CONSUMER_PHASE_LAUNCHED');
    expect(launched.clientId).toBe('07-tendermint-0');
    expect((await provider.consumerGenesis('0'))?.provider?.initialValSet).toHaveLength(2);
    clock.set(T0 + 125_000);
    const failed = await provider.consumerChain('1');
    expect(failed.phase).toBe('CONSUMER_PHASE_REGISTERED');
    expect(failed.initParams?.spawnTime?.seconds).toBe(-62135596800n);
    clock.set(T0 + 160_000);
    expect(await phaseOf('0')).toBe('CONSUMER_PHASE_STOPPED');
    clock.set(T0 + 225_000);
    expect(await phaseOf('0')).toBe('CONSUMER_PHASE_DELETED');
    expect((await provider.consumerChains(ConsumerPhase.DELETED)).map((c) => c.consumerId)).toEqual(['0']);
    expect((await provider.consumerChains()).length).toBe(2);

    const bonded = await q.staking.validators('BOND_STATUS_BONDED');
    expect(bonded.validators.map((v) => v.description?.moniker)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(bonded.validators[0]?.tokens).toBe('400000000');
    comet.disconnect();
  });

  it('sends provider Tx events with the real types and attribute keys over the websocket', async () => {
    const clock = new ManualClock(T0);
    sim = await startIcsSim({
      scenario: await loadScenario(everyPhaseScenarioPath),
      clock,
      tickIntervalMs: 0,
    });
    const ws = new WebsocketClient(sim.rpcUrl.replace(/^http/, 'ws'));
    const comet = Comet38Client.create(ws);
    const seen: { type: string; attributes: Record<string, string> }[] = [];
    comet.subscribeTx().addListener({
      next: (tx) => {
        for (const e of tx.result.events)
          seen.push({
            type: e.type,
            attributes: Object.fromEntries(e.attributes.map((a) => [a.key, a.value])),
          });
      },
    });
    for (let i = 0; i < 100 && sim.subscriberCount() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(sim.subscriberCount()).toBe(1);
    clock.set(T0 + 30_000);
    sim.tick();
    for (let i = 0; i < 100 && seen.length < 6; i++) await new Promise((r) => setTimeout(r, 20));
    expect(seen.map((e) => e.type)).toEqual([
      'message',
      'create_consumer',
      'message',
      'update_consumer',
      'message',
      'opt_in',
    ]);
    expect(seen[1]?.attributes).toMatchObject({
      module: 'provider',
      consumer_id: '0',
      consumer_phase: 'CONSUMER_PHASE_REGISTERED',
    });
    expect(seen[3]?.attributes.consumer_spawn_time).toBe('2026-12-01 00:01:20 +0000 UTC');
    expect(seen[5]?.attributes.provider_validator_address).toBe(sim.validator('alice').consAddress);
    expect(seen[4]?.attributes.action).toBe('/interchain_security.ccv.provider.v1.MsgOptIn');
    comet.disconnect();
  });

  it('serves a launched consumer chain: blocks until halted, the CCV channel after ccv_channel_delay_s', async () => {
    const clock = new ManualClock(T0);
    sim = await startIcsSim({
      scenario: {
        block_time_s: 5,
        ccv_channel_delay_s: 60,
        validators: [{ moniker: 'alice', tokens: '1' }],
        consumers: [{ chain_id: 'consumer-1', phase: 'LAUNCHED', opted_in: ['alice'] }],
        timeline: [{ at_s: 100, actions: [{ action: 'halt_consumer', consumer_id: 0 }] }],
      },
      clock,
      tickIntervalMs: 0,
    });
    const comet = await connectComet(sim.consumerRpcUrl('consumer-1'));
    const q = QueryClient.withExtensions(comet, setupIbcExtension);
    const height = async () => (await comet.status()).syncInfo.latestBlockHeight;
    expect(await height()).toBe(1);
    expect((await q.ibc.channel.allChannels()).channels).toEqual([]);
    clock.set(T0 + 60_000);
    expect(await height()).toBe(13);
    expect(
      (await q.ibc.channel.allChannels()).channels.map((c) => [c.portId, c.counterparty?.portId, c.state]),
    ).toEqual([['consumer', 'provider', 3]]);
    clock.set(T0 + 300_000);
    expect(await height()).toBe(21); // halted at t = 100 s
    comet.disconnect();
  });

  it('startOnFirstRequest: time zero is the first request', async () => {
    const clock = new ManualClock(T0);
    sim = await startIcsSim({
      scenario: { validators: [], consumers: [{ chain_id: 'c', phase: 'INITIALIZED', spawn_in_s: 40 }] },
      clock,
      tickIntervalMs: 0,
      startOnFirstRequest: true,
    });
    clock.set(T0 + 100_000);
    const { provider, comet } = await clients(sim);
    const c = await provider.consumerChain('0');
    expect(Number(c.initParams?.spawnTime?.seconds) * 1000).toBe(T0 + 140_000);
    expect(sim.startMs).toBe(T0 + 100_000);
    comet.disconnect();
  });

  it('a chain without x/provider answers code 6 "unknown query path"', async () => {
    sim = await startIcsSim({ scenario: await loadScenario(noProviderScenarioPath), tickIntervalMs: 0 });
    const { provider, comet } = await clients(sim);
    await expect(provider.consumerChains()).rejects.toThrow(/Query failed with \(6\).*unknown query path/);
    comet.disconnect();
  });

  it('answers queries at a past height, searches its Tx index, and serves consumer validator sets', async () => {
    const clock = new ManualClock(T0);
    sim = await startIcsSim({
      scenario: {
        chain_id: 'provider-1',
        block_time_s: 5,
        start_height: 100,
        ccv_channel_delay_s: 0,
        validators: [
          { moniker: 'alice', tokens: '400000000' },
          { moniker: 'bob', tokens: '300000000' },
        ],
        consumers: [{ chain_id: 'consumer-1', phase: 'LAUNCHED', opted_in: ['alice'] }],
        timeline: [
          { at_s: 10, actions: [{ action: 'set_relayer', running: false }] },
          { at_s: 20, actions: [{ action: 'set_tokens', validator: 'alice', tokens: '500000000' }] },
          { at_s: 30, actions: [{ action: 'opt_in', consumer_id: '0', validator: 'bob' }] },
        ],
      },
      clock,
      tickIntervalMs: 0,
    });
    const { comet, q, provider } = await clients(sim);
    clock.set(T0 + 40_000);
    sim.tick();
    const tokensAt = async (height: number) => {
      const res = await q.queryAbci(
        '/cosmos.staking.v1beta1.Query/Validators',
        QueryValidatorsRequest.encode({ status: 'BOND_STATUS_BONDED' }).finish(),
        height,
      );
      expect(res.height).toBe(height);
      return QueryValidatorsResponse.decode(res.value).validators.map((v) => v.tokens);
    };
    expect(await tokensAt(103)).toEqual(['400000000', '300000000']);
    expect(await tokensAt(104)).toEqual(['500000000', '300000000']);
    await expect(tokensAt(200)).rejects.toThrow(/height in the future/);

    const bob = sim.validator('bob').consAddress;
    const found = await comet.txSearch({
      query: `opt_in.consumer_id='0' AND opt_in.provider_validator_address='${bob}' AND tx.height<=108`,
      order_by: 'desc',
      per_page: 1,
    });
    expect(found.txs.map((t) => t.height)).toEqual([106]);
    expect((await comet.txSearch({ query: "opt_out.consumer_id='0'" })).totalCount).toBe(0);

    // The provider sent alice and bob; the consumer, its relayer stopped, still runs alice alone.
    const sent = await provider.consumerValidators('0');
    expect(sent.map((v) => [v.providerAddress, v.consumerPower])).toEqual([
      [sim.validator('alice').consAddress, 500n],
      [bob, 300n],
    ]);
    const consumer = await connectComet(sim.consumerRpcUrl('consumer-1'));
    const running = await consumer.validatorsAll();
    expect(running.validators.map((v) => v.votingPower)).toEqual([400n]);
    sim.apply({ action: 'set_relayer', running: true });
    clock.set(T0 + 45_000);
    sim.tick();
    expect((await consumer.validatorsAll()).validators.map((v) => v.votingPower)).toEqual([500n, 300n]);
    consumer.disconnect();
    comet.disconnect();
  });
});
