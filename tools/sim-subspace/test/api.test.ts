import type { EventRecord, SignedBlock } from '@polkadot/types/interfaces';
import { describe, expect, it } from 'vitest';
import { AI3 } from '../src/codec.ts';
import { eventually, Heads, slotOf, startTestSim, subscribeAllHeads } from './fixtures.ts';

/** The fields of `frame_system::AccountInfo` read here (the api is not augmented for a custom runtime). */
interface FrameSystemAccountInfo {
  nonce: { toNumber(): number };
  data: { free: { toBigInt(): bigint } };
}

const scenario = {
  chain: { block_time_s: 6, finality_depth: 2, history_blocks: 3 },
  sudo: 'sudo',
  accounts: [
    { name: 'alice', balance: 5_000_000 },
    { name: 'bob', balance: 10 },
    { name: 'sudo', uri: '//Sudo', balance: 1 },
  ],
  farmers: { count: 4, vote_every_blocks: 2 },
};

async function eventsAt(
  api: Awaited<ReturnType<Awaited<ReturnType<typeof startTestSim>>['api']>>,
  hash: string,
) {
  const at = await api.at(hash);
  return (await at.query.system?.events?.()) as unknown as EventRecord[];
}

describe('sim-subspace with the real @polkadot/api', () => {
  it('is accepted by ApiPromise.create: chain, SS58 6094, AI3 with 18 decimals, genesis', async () => {
    const { sim, api } = await startTestSim(scenario);
    const client = await api();
    expect((await client.rpc.system.chain()).toString()).toBe('Autonomys Mainnet');
    expect(client.registry.chainSS58).toBe(6094);
    expect(client.registry.chainDecimals).toEqual([18]);
    expect(client.registry.chainTokens).toEqual(['AI3']);
    expect(client.genesisHash.toHex()).toBe(sim.genesisHash);
    expect(client.runtimeVersion.specName.toString()).toBe('subspace');
    expect((await client.rpc.chain.getHeader()).number.toNumber()).toBe(3);
  });

  it('delivers new, all and finalized heads as blocks are produced on the clock', async () => {
    const t = await startTestSim(scenario);
    const { sim, clock } = t;
    const client = await t.api();
    const best = new Heads();
    const finalized = new Heads();
    await client.rpc.chain.subscribeNewHeads(best.push);
    await client.rpc.chain.subscribeFinalizedHeads(finalized.push);
    const all = await subscribeAllHeads(t, client);
    await eventually(() => best.seen.length > 0 && finalized.seen.length > 0, 20_000, 'the current heads');
    expect(best.numbers()).toEqual([3]);
    expect(finalized.numbers()).toEqual([1]);

    clock.advance(3 * 6000);
    sim.tick();
    const tip = sim.block('main@tip');
    expect(tip.number).toBe(6);
    await best.waitFor(tip.hash, 'new head #6');
    await all.waitFor(tip.hash, 'all head #6');
    await finalized.waitFor(sim.block(4).hash, 'finalized #4');
    expect(best.numbers()).toEqual([3, 4, 5, 6]);
    expect(all.numbers()).toEqual([4, 5, 6]);
    expect(finalized.numbers()).toEqual([1, 2, 3, 4]);
    expect((await client.rpc.chain.getFinalizedHead()).toHex()).toBe(sim.block(4).hash);
    // Timestamps follow the injected clock, slots the pre-digest (6 per block).
    const header = await client.rpc.chain.getHeader(tip.hash);
    expect(header.hash.toHex()).toBe(tip.hash);
    expect(slotOf(header)).toBe(36n);
    expect(tip.timestampMs).toBe(sim.startMs + 3 * 6000);
  });

  it('serves blocks whose extrinsics and events decode: a transfer with its amount and SS58 addresses', async () => {
    const { sim, api } = await startTestSim(scenario);
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 1_500_000 } });
    sim.apply({ force_transfer: { source: 'alice', dest: 'bob', amount: 2 } });
    const [block] = sim.produce(1);
    if (!block) throw new Error('no block');
    const client = await api();
    const hash = await client.rpc.chain.getBlockHash(block.number);
    expect(hash.toHex()).toBe(block.hash);
    const signed: SignedBlock = await client.rpc.chain.getBlock(hash);
    expect(signed.block.header.hash.toHex()).toBe(block.hash);
    const [ts, transfer, sudo] = signed.block.extrinsics;
    expect(`${ts?.method.section}.${ts?.method.method}`).toBe('timestamp.set');
    expect(transfer?.method.method).toBe('transferKeepAlive');
    expect(transfer?.signer.toString()).toBe(sim.accounts.alice?.address);
    expect(transfer?.signer.toString()).toMatch(/^su/);
    expect(transfer?.method.args[0]?.toString()).toBe(sim.accounts.bob?.address);
    expect(BigInt(transfer?.method.args[1]?.toString() ?? 0)).toBe(1_500_000n * AI3);
    expect(`${sudo?.method.section}.${sudo?.method.method}`).toBe('sudo.sudo');
    expect(transfer?.isSigned).toBe(true);

    const records = await eventsAt(client, block.hash);
    const names = records.map((r) => `${r.event.section}.${r.event.method}`);
    expect(names).toContain('subspace.FarmerVote');
    expect(names).toContain('sudo.Sudid');
    const transfers = records.filter((r) => client.events.balances?.Transfer?.is(r.event));
    expect(transfers).toHaveLength(2);
    const [from, to, amount] = transfers[0]?.event.data ?? [];
    expect(from?.toString()).toBe(sim.accounts.alice?.address);
    expect(to?.toString()).toBe(sim.accounts.bob?.address);
    expect(BigInt(amount?.toString() ?? 0)).toBe(1_500_000n * AI3);
    expect(transfers[0]?.phase.asApplyExtrinsic.toNumber()).toBe(1);
  });

  it('answers System.Account storage at the best block and at older blocks', async () => {
    const { sim, api } = await startTestSim(scenario);
    const before = sim.block('main@tip');
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 5 } });
    sim.produce(1);
    const client = await api();
    const bob = sim.accounts.bob?.address as string;
    const now = (await client.query.system?.account?.(bob)) as unknown as FrameSystemAccountInfo;
    expect(now.data.free.toBigInt()).toBe(15n * AI3);
    const at = await client.at(before.hash);
    const then = (await at.query.system?.account?.(bob)) as unknown as FrameSystemAccountInfo;
    expect(then.data.free.toBigInt()).toBe(10n * AI3);
    const alice = (await client.query.system?.account?.(
      sim.accounts.alice?.address,
    )) as unknown as FrameSystemAccountInfo;
    expect(alice.nonce.toNumber()).toBe(1);
    expect(alice.data.free.toBigInt()).toBe(4_999_995n * AI3 - 10n ** 15n);
  });

  it('announces a runtime upgrade through state_subscribeRuntimeVersion', async () => {
    const { sim, api } = await startTestSim(scenario);
    const client = await api();
    const versions: number[] = [];
    await client.rpc.state.subscribeRuntimeVersion((v) => {
      versions.push(v.specVersion.toNumber());
    });
    sim.apply({ runtime_upgrade: { spec_version: 2 } });
    const [upgrade] = sim.produce(1);
    await eventually(() => versions.includes(2), 20_000, 'runtime version 2');
    expect(versions).toEqual([1, 2]);
    const records = await eventsAt(client, upgrade?.hash as string);
    expect(records.map((r) => `${r.event.section}.${r.event.method}`)).toContain('system.CodeUpdated');
    await eventually(() => client.runtimeVersion.specVersion.toNumber() === 2, 20_000, 'api runtime refresh');
  });
});
