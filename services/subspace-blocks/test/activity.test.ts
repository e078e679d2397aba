import { afterEach, describe, expect, it } from 'vitest';
import { hashes, type Stack, startStack } from './stack.ts';

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const scenario = {
  chain: { block_time_s: 0, finality_depth: 50 },
  sudo: 'sudo',
  accounts: [
    { name: 'alice', balance: 5_000_000 },
    { name: 'bob', balance: 100 },
    { name: 'charlie', balance: 10 },
    { name: 'sudo', uri: '//Sudo', balance: 10 },
  ],
  farmers: { count: 3, vote_every_blocks: 1 },
  nodes: [{ name: 'node-0' }],
};

type Data = Record<string, unknown> & { ref: { id: string; block: { hash: string } } };

async function started(name: string, section: Record<string, unknown> = {}): Promise<Stack> {
  const s = await startStack(name, scenario);
  await s.start({
    section: {
      important_addresses: [{ address: s.sim.accounts.bob!.address, label: 'Bob Treasury', threshold: 50 }],
      balance_every_blocks: 1,
      ...section,
    },
  });
  await s.until('the first block checked', () => s.ofType('block').length > 0);
  return s;
}

describe('subspace-blocks on-chain activity (real @polkadot/api, NATS, PostgreSQL)', () => {
  it('reports transfers, sudo, farmers, slot time and balances from decoded blocks', async () => {
    stack = await started('subspace-activity');
    const { sim } = stack;
    sim.apply({ transfer: { from: 'alice', to: 'charlie', amount: 1_500_000 } });
    sim.apply({ transporter: { from: 'alice', to: 'charlie', amount: 3, domain_id: 0 } });
    const [b1] = sim.produce(1);
    sim.apply({ force_transfer: { source: 'alice', dest: 'bob', amount: 2_000_000 } });
    const [b2] = sim.produce(1);
    sim.produce(2);
    await stack.until('4 blocks checked', () => stack!.ofType('block').length >= 5);

    const transfers = stack.ofType('transfer').map((e) => e.data as Data);
    const large = transfers.filter((t) => t.ref.block.hash === b1!.hash && t.kind === 'transfer');
    expect(large.map((t) => t.via).sort()).toEqual(['event', 'extrinsic']);
    expect(large[0]).toMatchObject({
      display_amount: 1_500_000,
      from: sim.accounts.alice!.address,
      to: sim.accounts.charlie!.address,
    });
    expect(large[0]!.explorer_url).toBe(`https://autonomys.subscan.io/extrinsic/${large[0]!.ref.id}`);
    expect(transfers.some((t) => t.kind === 'transporter' && t.amount === (3n * 10n ** 18n).toString())).toBe(
      true,
    );

    // The sudo force transfer: one extrinsic, its facts share one reference (the alerter's priority object).
    const inB2 = stack.events.filter((e) => (e.data as Partial<Data>).ref?.block.hash === b2!.hash);
    const refs = new Set(inB2.map((e) => (e.data as Data).ref.id));
    expect(refs.size).toBe(1);
    const sudo = stack.ofType('sudo').map((e) => e.data as Data);
    expect(sudo.map((s) => [s.call, s.via])).toEqual([
      ['sudo.sudo', 'extrinsic'],
      ['sudo.Sudid', 'event'],
    ]);
    expect(sudo[0]).toMatchObject({
      inner_call: 'balances.forceTransfer',
      signer: sim.accounts.sudo!.address,
    });
    expect(sudo[1]).toMatchObject({ result: 'ok' });
    const force = transfers.find((t) => t.kind === 'force')!;
    expect(force).toMatchObject({
      in_sudo: true,
      display_amount: 2_000_000,
      important: [{ label: 'Bob Treasury' }],
    });

    const block = stack.ofType('block').at(-1)!.data as Record<string, unknown>;
    expect(block.slot).toEqual(expect.any(Number));
    expect(block.timestamp).toEqual(expect.any(String));
    const farmers = stack.ofType('farmer_votes').at(-1)!.data as Record<string, unknown>;
    expect(farmers.active_farmers).toBe(3);
    const slots = stack.ofType('slot_time').at(-1)!.data as Record<string, unknown>;
    expect(slots.seconds_per_slot).toEqual(expect.any(Number));
    const balances = stack.ofType('address_balance').map((e) => e.data as Record<string, unknown>);
    expect(balances.at(-1)).toMatchObject({ label: 'Bob Treasury', threshold: 50 });
    expect(balances.at(-1)!.display_amount).toBeGreaterThan(2_000_000);
  });

  it('an undecodable extrinsic and undecodable events → decode_failed warnings with the block hash, and it goes on', async () => {
    stack = await started('subspace-undecodable');
    const { sim } = stack;
    sim.apply({ undecodable: { extrinsic: true, event: true } });
    const [bad] = sim.produce(1);
    sim.apply({ transfer: { from: 'alice', to: 'charlie', amount: 5 } });
    const [next] = sim.produce(1);
    await stack.until('the next block checked', () => hashes(stack!.ofType('block')).includes(next!.hash));
    const warnings = stack.ofType('decode_failed').map((e) => e.data as Record<string, unknown>);
    expect(warnings.map((w) => w.part).sort()).toEqual(['events', 'extrinsic']);
    for (const w of warnings) expect(w.block).toEqual({ height: bad!.number, hash: bad!.hash });
    expect(hashes(stack.ofType('block'))).toContain(bad!.hash);
    expect(stack.ofType('transfer').some((e) => (e.data as Data).ref.block.hash === next!.hash)).toBe(true);
  });

  it('a transfer whose block is reorged out is retracted, by the dedup key it was reported with', async () => {
    stack = await started('subspace-retract');
    const { sim } = stack;
    const [base] = sim.produce(1);
    sim.apply({ transfer: { from: 'alice', to: 'charlie', amount: 1_200_000 } });
    const [gone] = sim.produce(1);
    const ofGone = () =>
      stack!.ofType('transfer').filter((e) => (e.data as Data).ref.block.hash === gone!.hash);
    // The block's event and its transfers are separate messages: the block may be seen before its transfers.
    await stack.until(
      'the transfer block checked and its transfers reported',
      () => hashes(stack!.ofType('block')).includes(gone!.hash) && ofGone().length >= 2,
    );
    const reported = ofGone();
    expect(reported).toHaveLength(2);
    const other = sim.fork('b', base!.hash, 3);
    sim.switchTo('b', { produce: false });
    await stack.until('the new tip checked', () =>
      hashes(stack!.ofType('block')).includes(other.at(-1)!.hash),
    );
    const retracted = stack.ofType('retracted').map((e) => e.data as Record<string, unknown>);
    expect(retracted.map((r) => r.original_dedup_key).sort()).toEqual(
      reported.map((e) => e.dedup_key).sort(),
    );
    expect(retracted[0]).toMatchObject({ original_type: 'transfer', new_tip: { hash: other.at(-1)!.hash } });
  });

  it('a runtime upgrade (System.CodeUpdated) is reported', async () => {
    stack = await started('subspace-upgrade');
    const { sim } = stack;
    sim.apply({ runtime_upgrade: { spec_version: 2 } });
    const [up] = sim.produce(1);
    await stack.until('the upgrade', () => stack!.ofType('runtime_upgrade').length > 0);
    expect(stack.ofType('runtime_upgrade')[0]!.data).toMatchObject({ block: { hash: up!.hash } });
  });
});
