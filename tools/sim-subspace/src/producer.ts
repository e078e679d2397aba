import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';
import type { BlockTree, SimBlock } from './chain.ts';
import type { EventInput, Hex } from './codec.ts';
import type { TxSpec } from './extrinsics.ts';
import type { HeadKind, SimNode } from './node.ts';
import { parseAmount, type Scenario, type ScenarioAction } from './scenario.ts';

/** Blocks built at most per catch-up, so a clock jump of days does not stall the process. */
const MAX_BLOCKS_PER_TICK = 500;
const DEFAULT_BLOCK_MS = 6000;

/**
 * Block production and scenario actions: which branch grows, when (block time, stalls), with what
 * (queued extrinsics, farmer votes, operator events, balance drains), and how nodes learn about it.
 */
export class Producer {
  /** The branch automatic production and `produce` extend. */
  branch = 'main';
  blockTimeMs: number;
  slotsPerBlock: number;
  nextBlockAt: number;
  farmers: number;
  readonly voteEvery: number;
  readonly pending: TxSpec[] = [];
  readonly pendingEvents: EventInput[] = [];
  readonly drains = new Map<Hex, bigint>();
  readonly sets = new Map<Hex, bigint>();
  /** Steps keyed by main height, run just before that block is built. */
  readonly heightSteps = new Map<number, ScenarioAction[][]>();
  private slotCarry = 0;
  private readonly farmerKeys: Hex[] = [];

  constructor(
    readonly tree: BlockTree,
    readonly nodes: SimNode[],
    scenario: Scenario,
    startMs: number,
    private readonly onBlock: (b: SimBlock) => void,
  ) {
    this.blockTimeMs = scenario.chain.block_time_s * 1000;
    this.slotsPerBlock = scenario.chain.slots_per_block ?? (this.blockTimeMs || DEFAULT_BLOCK_MS) / 1000;
    this.nextBlockAt = startMs + this.blockTimeMs;
    this.farmers = scenario.farmers.count;
    this.voteEvery = scenario.farmers.vote_every_blocks;
    for (const s of scenario.timeline) {
      if (s.at_height === undefined) continue;
      this.heightSteps.set(s.at_height, [...(this.heightSteps.get(s.at_height) ?? []), s.actions]);
    }
  }

  private farmerKey(i: number): Hex {
    while (this.farmerKeys.length <= i) {
      this.farmerKeys.push(u8aToHex(blake2AsU8a(`farmer-${this.farmerKeys.length}`, 256)) as Hex);
    }
    return this.farmerKeys[i] as Hex;
  }

  private votes(parent: SimBlock): EventInput[] {
    const out: EventInput[] = [];
    const h = parent.number + 1;
    for (let i = 0; i < this.farmers; i++) {
      if ((i + h) % this.voteEvery !== 0) continue;
      const key = this.farmerKey(i);
      out.push({
        section: 'Subspace',
        method: 'FarmerVote',
        args: [key, key, parent.number, parent.hash],
        phase: 'initialization',
      });
    }
    return out;
  }

  private nextSlot(parent: SimBlock): bigint {
    this.slotCarry += this.slotsPerBlock;
    const whole = Math.floor(this.slotCarry);
    this.slotCarry -= whole;
    return parent.slot + BigInt(whole);
  }

  /**
   * Builds one block on a branch. Blocks of the producing branch carry the queued extrinsics, events and
   * balance changes and run `at_height` steps first; blocks of other branches carry only inherents and votes.
   */
  build(
    branch: string,
    timestampMs: number,
    opts: { fakeSignatures?: boolean; txs?: TxSpec[] } = {},
  ): SimBlock {
    const parent = this.tree.tip(branch);
    const producing = branch === this.branch;
    if (producing) {
      for (const actions of this.heightSteps.get(parent.number + 1) ?? []) {
        for (const a of actions) this.apply(a, timestampMs);
      }
    }
    const txs = producing ? [...this.pending.splice(0), ...(opts.txs ?? [])] : (opts.txs ?? []);
    const upgrade = txs.filter((t) => t.kind === 'set_code').at(-1);
    const block = this.tree.build({
      parent,
      branch,
      timestampMs,
      slot: this.nextSlot(parent),
      txs,
      events: [...this.votes(parent), ...(producing ? this.pendingEvents.splice(0) : [])],
      specVersion: upgrade?.kind === 'set_code' ? upgrade.specVersion : undefined,
      drains: producing ? this.drains : undefined,
      sets: producing ? new Map(this.sets) : undefined,
      fakeSignatures: opts.fakeSignatures,
    });
    if (producing) this.sets.clear();
    for (const n of this.nodes) n.onBlock(block);
    this.onBlock(block);
    return block;
  }

  /** `n` blocks on a branch (default: the producing one), each one block time after its parent. */
  produce(n: number, branch = this.branch): SimBlock[] {
    const out: SimBlock[] = [];
    for (let i = 0; i < n; i++) {
      const ts = this.tree.tip(branch).timestampMs + (this.blockTimeMs || DEFAULT_BLOCK_MS);
      out.push(this.build(branch, ts));
      if (branch === this.branch && this.blockTimeMs > 0)
        this.nextBlockAt = Math.max(this.nextBlockAt, ts + this.blockTimeMs);
    }
    return out;
  }

  /** Automatic production up to `now`; returns how many blocks were built. */
  catchUp(now: number): number {
    if (this.blockTimeMs <= 0) return 0;
    let built = 0;
    while (this.nextBlockAt <= now && built < MAX_BLOCKS_PER_TICK) {
      this.build(this.branch, this.nextBlockAt);
      this.nextBlockAt += this.blockTimeMs;
      built++;
    }
    if (this.nextBlockAt <= now) this.nextBlockAt = now + this.blockTimeMs;
    return built;
  }

  private nodesOf(names?: string[] | string): SimNode[] {
    if (names === undefined) return this.nodes;
    const list = Array.isArray(names) ? names : [names];
    return list.map((name) => {
      const n = this.nodes.find((x) => x.name === name);
      if (!n) throw new Error(`unknown node ${name}`);
      return n;
    });
  }

  /** Runs one scenario action at simulated time `now`. Returns the blocks it built, if any. */
  apply(action: ScenarioAction, now: number): SimBlock[] {
    const id = (ref: string) => this.tree.account(ref).id;
    const a = action as Record<string, Record<string, unknown>>;
    const [kind] = Object.keys(a) as [string];
    if ('transfer' in action) {
      const t = action.transfer;
      this.pending.push({
        kind: 'transfer',
        from: t.from,
        to: t.to,
        amount: parseAmount(t.amount),
        method: t.method,
      });
    } else if ('force_transfer' in action) {
      const t = action.force_transfer;
      this.pending.push({
        kind: 'force_transfer',
        source: t.source,
        dest: t.dest,
        amount: parseAmount(t.amount),
        sudo: t.sudo,
      });
    } else if ('transporter' in action) {
      const t = action.transporter;
      this.pending.push({
        kind: 'transporter',
        from: t.from,
        to: t.to,
        amount: parseAmount(t.amount),
        domainId: t.domain_id,
      });
    } else if ('domains' in action) {
      const t = action.domains;
      this.pending.push({
        kind: 'domains',
        from: t.from,
        operatorId: t.operator_id,
        amount: parseAmount(t.amount),
      });
    } else if ('sudo' in action) {
      this.pending.push({ kind: 'sudo', from: action.sudo.from, remark: action.sudo.remark });
    } else if ('remark' in action) {
      this.pending.push({ kind: 'remark', from: action.remark.from, remark: action.remark.remark });
    } else if ('runtime_upgrade' in action) {
      this.pending.push({ kind: 'set_code', specVersion: action.runtime_upgrade.spec_version });
    } else if ('undecodable' in action) {
      if (action.undecodable.extrinsic) this.pending.push({ kind: 'undecodable' });
      if (action.undecodable.event) this.pending.push({ kind: 'undecodable_event' });
    } else if ('farmers' in action) {
      this.farmers = action.farmers.count;
    } else if ('operator_slashed' in action) {
      const o = action.operator_slashed;
      const reason =
        o.reason === 'invalid_bundle'
          ? { InvalidBundle: 0 }
          : { BadExecutionReceipt: `0x${'00'.repeat(32)}` };
      this.pendingEvents.push({
        section: 'Domains',
        method: 'OperatorSlashed',
        args: [o.operator_id, reason],
        phase: 'initialization',
      });
    } else if ('operator_offline' in action) {
      const o = action.operator_offline;
      const exp = { expected_bundles: o.expected_bundles, min_required_bundles: o.min_required_bundles };
      this.pendingEvents.push({
        section: 'Domains',
        method: 'OperatorOffline',
        args: [o.operator_id, o.domain_id, o.submitted_bundles, exp],
        phase: 'initialization',
      });
    } else if ('drain' in action) {
      const amount = parseAmount(action.drain.per_block);
      if (amount === 0n) this.drains.delete(id(action.drain.account));
      else this.drains.set(id(action.drain.account), amount);
    } else if ('set_balance' in action) {
      this.sets.set(id(action.set_balance.account), parseAmount(action.set_balance.amount));
    } else if ('stall' in action) {
      this.nextBlockAt = Math.max(this.nextBlockAt, now + action.stall.duration_s * 1000);
    } else if ('slot_drift' in action) {
      this.slotsPerBlock = action.slot_drift.slots_per_block;
    } else if ('block_time' in action) {
      this.blockTimeMs = action.block_time.block_time_s * 1000;
      if (this.blockTimeMs > 0) this.nextBlockAt = now + this.blockTimeMs;
    } else if ('produce' in action) {
      return this.produce(action.produce.blocks);
    } else if ('fork' in action) {
      const f = action.fork;
      if (this.tree.branches.has(f.name)) throw new Error(`branch ${f.name} exists`);
      this.tree.branches.set(f.name, this.tree.resolve(f.parent).hash);
      return this.produce(f.blocks, f.name);
    } else if ('extend' in action) {
      return this.produce(action.extend.blocks, action.extend.branch);
    } else if ('switch' in action) {
      const s = action.switch;
      this.tree.tip(s.branch);
      if (s.produce) this.branch = s.branch;
      for (const n of this.nodesOf(s.nodes)) n.follow(s.branch);
    } else if ('skip_announcements' in action) {
      for (const n of this.nodesOf(action.skip_announcements.node))
        n.muted += action.skip_announcements.blocks;
    } else if ('announce' in action) {
      const blocks = action.announce.blocks.map((r) => this.tree.resolve(r));
      for (const n of this.nodesOf(action.announce.node))
        n.announce(blocks, action.announce.as as HeadKind[]);
    } else if ('disconnect' in action) {
      for (const n of this.nodesOf(action.disconnect.node)) n.disconnect();
    } else if ('reconnect' in action) {
      for (const n of this.nodesOf(action.reconnect.node)) n.connected = true;
    } else {
      throw new Error(`unknown action ${kind}`);
    }
    return [];
  }
}
