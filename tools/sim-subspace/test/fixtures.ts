import { ApiPromise, WsProvider } from '@polkadot/api';
import type { Header } from '@polkadot/types/interfaces';
import { ManualClock } from '@tocsin/runtime';
import { eventually } from '@tocsin/testkit';
import { afterEach } from 'vitest';
import type { Scenario, ScenarioInput } from '../src/scenario.ts';
import { type SubspaceSim, startSubspaceSim } from '../src/simulator.ts';

export { eventually };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Registers something to close after the current test. */
export function closeAfterTest<T>(value: T, close: (v: T) => unknown): T {
  cleanups.push(() => close(value));
  return value;
}

export interface TestSim {
  sim: SubspaceSim;
  clock: ManualClock;
  /** A real @polkadot/api client on a node (default the first). */
  api(node?: string | number): Promise<ApiPromise>;
}

export async function startTestSim(scenario: Scenario | ScenarioInput): Promise<TestSim> {
  const clock = new ManualClock();
  const sim = closeAfterTest(await startSubspaceSim({ scenario, clock, tickIntervalMs: 0 }), (s) =>
    s.close(),
  );
  return {
    sim,
    clock,
    api: async (node) => {
      const provider = new WsProvider(node === undefined ? sim.url : sim.nodeUrl(node), false);
      await provider.connect();
      const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
      return closeAfterTest(api, (a) => a.disconnect());
    },
  };
}

/** Subscribes to all heads (which, as on a node, only answer on the next import) and waits until the sim has it. */
export async function subscribeAllHeads(
  t: TestSim,
  client: ApiPromise,
  node: string | number = 0,
): Promise<Heads> {
  const heads = new Heads();
  const before = t.sim.node(node).subscriptionCount('all');
  void client.rpc.chain.subscribeAllHeads(heads.push);
  await eventually(
    () => t.sim.node(node).subscriptionCount('all') > before,
    20_000,
    'the all-heads subscription',
  );
  return heads;
}

/** Collects the block numbers (and hashes) a head subscription delivers. */
export class Heads {
  readonly seen: Array<{ number: number; hash: string }> = [];
  push = (h: Header) => {
    this.seen.push({ number: h.number.toNumber(), hash: h.hash.toHex() });
  };
  numbers(): number[] {
    return this.seen.map((h) => h.number);
  }
  hashes(): string[] {
    return this.seen.map((h) => h.hash);
  }
  /** Waits until the subscription has delivered the given block hash. */
  async waitFor(hash: string, what: string): Promise<void> {
    await eventually(() => this.hashes().includes(hash), 20_000, what);
  }
}

/** Slot number from a Subspace pre-digest: data[0] = 0 (V0), data[1..9] = slot u64 LE. */
export function slotOf(header: Header): bigint {
  const pre = header.digest.logs.find((l) => l.isPreRuntime)?.asPreRuntime;
  if (!pre) throw new Error('no pre-runtime digest');
  if (pre[0].toString() !== 'SUB_') throw new Error(`pre-digest of engine ${pre[0].toString()}, not SUB_`);
  const data = pre[1].toU8a(true);
  if (data[0] !== 0) throw new Error('not a V0 pre-digest');
  return new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0, true);
}
