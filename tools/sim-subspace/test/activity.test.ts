import type { ApiPromise } from '@polkadot/api';
import type { EventRecord } from '@polkadot/types/interfaces';
import { describe, expect, it } from 'vitest';
import { AI3 } from '../src/codec.ts';
import { slotOf, startTestSim } from './fixtures.ts';

async function eventNames(api: ApiPromise, hash: string): Promise<string[]> {
  const records = (await (await api.at(hash)).query.system?.events?.()) as unknown as EventRecord[];
  return records.map((r) => `${r.event.section}.${r.event.method}`);
}

const accounts = [
  { name: 'alice', balance: 10_000_000 },
  { name: 'bob', balance: 100 },
  { name: 'sudo', uri: '//Sudo', balance: 1 },
];

describe('scenario timeline on the injected clock', () => {
  it('runs at_s steps: a stall leaves a chain-time gap, slot drift changes slots per block', async () => {
    const { sim, clock, api } = await startTestSim({
      chain: { block_time_s: 6 },
      timeline: [
        { at_s: 13, actions: [{ stall: { duration_s: 60 } }] },
        { at_s: 100, actions: [{ slot_drift: { slots_per_block: 7 } }] },
      ],
    });
    clock.advance(200_000);
    sim.tick();
    const client = await api();
    const times: number[] = [];
    const slots: bigint[] = [];
    for (let n = 1; n <= sim.node().best.number; n++) {
      const b = sim.block(n);
      times.push((b.timestampMs - sim.startMs) / 1000);
      slots.push(slotOf(await client.rpc.chain.getHeader(b.hash)));
    }
    // Blocks at 6 and 12 s, none during the 60 s stall from 13 s, then every 6 s again.
    expect(times.slice(0, 4)).toEqual([6, 12, 73, 79]);
    const steps = slots.slice(1).map((s, i) => Number(s - (slots[i] as bigint)));
    const afterDrift = times.findIndex((t) => t > 100);
    expect(new Set(steps.slice(0, afterDrift - 1))).toEqual(new Set([6]));
    expect(new Set(steps.slice(afterDrift))).toEqual(new Set([7]));
  });

  it('runs at_height steps: operator events, farmer population, transporter and domains transfers decode', async () => {
    const { sim, api } = await startTestSim({
      chain: { block_time_s: 0 },
      accounts,
      farmers: { count: 10, vote_every_blocks: 5 },
      timeline: [
        {
          at_height: 2,
          actions: [
            { operator_slashed: { operator_id: 7 } },
            { operator_offline: { operator_id: 3, submitted_bundles: 1 } },
            { transporter: { from: 'alice', to: 'bob', amount: 2_000_000, domain_id: 0 } },
            { domains: { from: 'alice', operator_id: 3, amount: 100 } },
          ],
        },
        { at_height: 3, actions: [{ farmers: { count: 100 } }] },
      ],
    });
    const [b1, b2, b3] = sim.produce(3);
    const client = await api();
    const names = await eventNames(client, b2?.hash as string);
    expect(names).toEqual(
      expect.arrayContaining([
        'domains.OperatorSlashed',
        'domains.OperatorOffline',
        'transporter.OutgoingTransferInitiated',
        'domains.OperatorNominated',
      ]),
    );
    const votes = async (hash: string) =>
      (await eventNames(client, hash)).filter((n) => n === 'subspace.FarmerVote').length;
    expect(await votes(b1?.hash as string)).toBe(2);
    expect(await votes(b3?.hash as string)).toBe(20);
    const block = await client.rpc.chain.getBlock(b2?.hash);
    const methods = block.block.extrinsics.map((x) => `${x.method.section}.${x.method.method}`);
    expect(methods).toEqual(['timestamp.set', 'transporter.transfer', 'domains.nominateOperator']);
    const transporter = block.block.extrinsics[1]?.method.toJSON() as { args: { amount: string | number } };
    expect(BigInt(transporter.args.amount)).toBe(2_000_000n * AI3);
    expect(b2?.activity.transfers.map((t) => t.kind)).toEqual(['transporter', 'domains']);
  });

  it('drains a balance in storage every block, with no extrinsic from the wallet', async () => {
    const { sim, api } = await startTestSim({ chain: { block_time_s: 0 }, accounts });
    sim.apply({ drain: { account: 'bob', per_block: 7 } });
    const blocks = sim.produce(3);
    const client = await api();
    const free = async (hash: string) => {
      const at = await client.at(hash);
      const info = (await at.query.system?.account?.(sim.accounts.bob?.address)) as unknown as {
        data: { free: { toBigInt(): bigint } };
      };
      return info.data.free.toBigInt();
    };
    expect(await Promise.all(blocks.map((b) => free(b.hash)))).toEqual([93n * AI3, 86n * AI3, 79n * AI3]);
    expect(blocks.every((b) => b.extrinsics.length === 1)).toBe(true);
  });

  it('serves undecodable extrinsics and events (metadata mismatch) in an otherwise normal block', async () => {
    const { sim, api } = await startTestSim({ chain: { block_time_s: 0 }, accounts });
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 1 } });
    sim.apply({ undecodable: { extrinsic: true, event: false } });
    const [badExtrinsic] = sim.produce(1);
    sim.apply({ undecodable: { extrinsic: false, event: true } });
    const [badEvent] = sim.produce(1);
    const client = await api();
    await expect(client.rpc.chain.getBlock(badExtrinsic?.hash)).rejects.toThrow();
    expect(await eventNames(client, badExtrinsic?.hash as string)).toContain('balances.Transfer');
    // The raw block is there for an ingestor that falls back to bytes.
    const raw = (await client.rpc.chain.getBlockHash(badExtrinsic?.number)).toHex();
    expect(raw).toBe(badExtrinsic?.hash);
    expect((await client.rpc.chain.getBlock(badEvent?.hash)).block.extrinsics).toHaveLength(1);
    await expect(eventNames(client, badEvent?.hash as string)).rejects.toThrow();
  });

  it('sudo calls and force transfers carry Sudo.Sudid; a transfer_all moves the whole balance', async () => {
    const { sim, api } = await startTestSim({ chain: { block_time_s: 0 }, sudo: 'sudo', accounts });
    sim.apply({ sudo: { remark: 'x' } });
    sim.apply({ force_transfer: { source: 'alice', dest: 'bob', amount: 5, sudo: true } });
    sim.apply({ transfer: { from: 'bob', to: 'alice', method: 'transfer_all' } });
    const [block] = sim.produce(1);
    const client = await api();
    const signed = await client.rpc.chain.getBlock(block?.hash);
    const calls = signed.block.extrinsics.map((x) => `${x.method.section}.${x.method.method}`);
    expect(calls).toEqual(['timestamp.set', 'sudo.sudo', 'sudo.sudo', 'balances.transferAll']);
    expect(signed.block.extrinsics[1]?.signer.toString()).toBe(sim.accounts.sudo?.address);
    const names = await eventNames(client, block?.hash as string);
    expect(names.filter((n) => n === 'sudo.Sudid')).toHaveLength(2);
    expect(block?.activity.transfers.map((t) => t.kind)).toEqual(['force', 'transfer']);
    expect(block?.activity.transfers[1]?.amount).toBe(105n * AI3 - 10n ** 15n);
  });
});
