import { ApiPromise, WsProvider } from '@polkadot/api';
import { type SubspaceSim, startSubspaceSim } from '@tocsin/sim-subspace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsRead } from '../src/activity.ts';
import type { RawBlock } from '../src/connections.ts';
import { decodeBlock, SYSTEM_EVENTS_KEY } from '../src/decode.ts';

const scenario = {
  chain: { block_time_s: 0, finality_depth: 50 },
  sudo: 'sudo',
  accounts: [
    { name: 'alice', balance: 5_000_000 },
    { name: 'bob', balance: 100 },
    { name: 'sudo', uri: '//Sudo', balance: 10 },
  ],
  farmers: { count: 3, vote_every_blocks: 1 },
  nodes: [{ name: 'node-0' }],
};

let sim: SubspaceSim;
let api: ApiPromise;
let provider: WsProvider;
beforeAll(async () => {
  sim = await startSubspaceSim({ scenario, tickIntervalMs: 0 });
  provider = new WsProvider(sim.nodeUrl(0), false);
  await provider.connect();
  api = await ApiPromise.create({ provider, noInitWarn: true });
});
afterAll(async () => {
  await api?.disconnect();
  await sim?.close();
});

async function rawBlock(hash: string): Promise<{ raw: RawBlock; events: string }> {
  const b = (await provider.send('chain_getBlock', [hash])) as { block: RawBlock };
  const events = (await provider.send('state_getStorage', [SYSTEM_EVENTS_KEY, hash])) as string;
  return { raw: b.block, events };
}

describe('decodeBlock reads by the metadata types what polkadot-js decodes whole', () => {
  it('the wanted events (index, phase, data) and every extrinsic (signer, call, args) match a full decode', async () => {
    sim.apply({ transfer: { from: 'alice', to: 'bob', amount: 1_500_000 } });
    sim.apply({ force_transfer: { source: 'alice', dest: 'bob', amount: 2 } });
    sim.apply({ transporter: { from: 'alice', to: 'bob', amount: 3, domain_id: 0 } });
    sim.apply({ sudo: { from: 'sudo', remark: 'hello' } });
    const [block] = sim.produce(1);
    const { raw, events } = await rawBlock(block!.hash);
    const registry = api.registry;
    // biome-ignore lint/suspicious/noExplicitAny: polkadot-js codecs
    const records = registry.createType('Vec<EventRecord>', events) as any;
    for (const important of [new Set<string>(), new Set(['0x00'])]) {
      const wanted = eventsRead(important);
      const d = decodeBlock(registry, raw, events, wanted);
      expect(d.failures).toEqual([]);
      expect(d.eventCount).toBe(records.length);
      // biome-ignore lint/suspicious/noExplicitAny: polkadot-js codecs
      const full = records.map((r: any, index: number) => ({
        index,
        extrinsic: r.phase.isApplyExtrinsic ? r.phase.asApplyExtrinsic.toNumber() : null,
        section: r.event.section,
        method: r.event.method,
        data: Object.values(r.event.data.toJSON()),
      }));
      const expected = full.filter((e: { section: string; method: string }) => wanted(e.section, e.method));
      expect(expected.length).toBeLessThan(full.length);
      expect(d.events!.map((e) => ({ ...e, data: Object.values(e.data) }))).toEqual(expected);
    }
    const d = decodeBlock(registry, raw, events, eventsRead(new Set()));
    const names = d.events!.map((e) => `${e.section}.${e.method}`);
    expect(names).toEqual(expect.arrayContaining(['balances.Transfer', 'sudo.Sudid', 'subspace.FarmerVote']));
    expect(names).not.toContain('system.ExtrinsicSuccess');
    expect(d.extrinsics).toHaveLength(raw.extrinsics.length);
    raw.extrinsics.forEach((hex, i) => {
      // biome-ignore lint/suspicious/noExplicitAny: polkadot-js codecs
      const ex = registry.createType('Extrinsic', hex) as any;
      const got = d.extrinsics[i]!;
      expect(got.signer).toBe(ex.isSigned ? ex.signer.toString() : null);
      expect([got.call.section, got.call.method]).toEqual([ex.method.section, ex.method.method]);
    });
    const calls = d.extrinsics.map((e) => `${e.call.section}.${e.call.method}`);
    expect(calls).toEqual(
      expect.arrayContaining(['timestamp.set', 'balances.transferKeepAlive', 'sudo.sudo']),
    );
    expect(d.timestampMs).toBe(block!.timestampMs);
  });
});
