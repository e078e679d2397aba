import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { type EventInput, type Hex, pseudoRoot, type SubspaceCodec, type WireHeader } from './codec.ts';
import { type BlockActivity, blockBody, type TxSpec } from './extrinsics.ts';

export const ZERO_HASH: Hex = `0x${'00'.repeat(32)}`;

/** An account of the scenario: a dev key (`//Name`, can sign) or an address only (signatures are fake). */
export interface SimAccount {
  name: string;
  /** SS58 (prefix 6094). */
  address: string;
  id: Hex;
  pair?: KeyringPair;
}

export interface AccountState {
  free: bigint;
  nonce: number;
}

/** One block of the tree, with everything the RPC answers about it precomputed. */
export interface SimBlock {
  hash: Hex;
  number: number;
  parentHash: Hex;
  /** The branch it was built on ('main' unless forked). */
  branch: string;
  slot: bigint;
  timestampMs: number;
  /** The runtime's spec version in the state after this block. */
  specVersion: number;
  header: WireHeader;
  extrinsics: Hex[];
  eventsHex: Hex;
  /** Account states after this block, keyed by account id hex. */
  accounts: Map<Hex, AccountState>;
  /** What the block contains, for tests and logs. */
  activity: BlockActivity;
}

export interface BuildInput {
  parent: SimBlock;
  branch: string;
  timestampMs: number;
  slot: bigint;
  txs: TxSpec[];
  /** Events outside extrinsics (farmer votes, operator events), phase Initialization. */
  events?: EventInput[];
  /** The spec version after this block (a runtime upgrade sets it in its block). */
  specVersion?: number;
  /** Per-account balance decrements applied to storage only (balances draining, no event). */
  drains?: Map<Hex, bigint>;
  /** Balances set in storage only (no event), before the block's extrinsics. */
  sets?: Map<Hex, bigint>;
  /** Sign with fake signatures (fast; for bulk history). */
  fakeSignatures?: boolean;
}

/**
 * The block tree every node of the simulation draws from. Blocks are real SCALE: a `Header` whose hash is
 * blake2-256 of its encoding, a `timestamp.set` inherent, signed extrinsics, `System.Events` per block.
 */
export class BlockTree {
  readonly blocks = new Map<Hex, SimBlock>();
  /** Named branch tips; 'main' always exists. */
  readonly branches = new Map<string, Hex>();
  readonly genesis: SimBlock;
  readonly accounts = new Map<string, SimAccount>();
  readonly byId = new Map<Hex, SimAccount>();

  constructor(
    readonly codec: SubspaceCodec,
    opts: {
      genesisMs: number;
      specVersion: number;
      transactionVersion: number;
      accounts: Array<{ name: string; uri?: string; address?: string; balance: bigint }>;
      sudo?: string;
    },
  ) {
    this.transactionVersion = opts.transactionVersion;
    const balances = new Map<Hex, AccountState>();
    for (const a of opts.accounts) {
      const acc = this.addAccount(a.name, a.uri, a.address);
      balances.set(acc.id, { free: a.balance, nonce: 0 });
    }
    this.sudoName = opts.sudo;
    const header = codec.header({
      parentHash: ZERO_HASH,
      number: 0,
      stateRoot: pseudoRoot(ZERO_HASH, '0x67656e65736973'),
      extrinsicsRoot: pseudoRoot('0x'),
      slot: 0n,
      author: new Uint8Array(32),
    });
    this.genesis = {
      hash: header.hash,
      number: 0,
      parentHash: ZERO_HASH,
      branch: 'main',
      slot: 0n,
      timestampMs: opts.genesisMs,
      specVersion: opts.specVersion,
      header: header.wire,
      extrinsics: [],
      eventsHex: codec.events([]),
      accounts: balances,
      activity: { transfers: [], sudo: 0, farmerVotes: 0, other: [] },
    };
    this.blocks.set(this.genesis.hash, this.genesis);
    this.branches.set('main', this.genesis.hash);
  }

  readonly transactionVersion: number;
  sudoName: string | undefined;

  addAccount(name: string, uri?: string, address?: string): SimAccount {
    const existing = this.accounts.get(name);
    if (existing) return existing;
    const pair = address
      ? undefined
      : this.codec.account(uri ?? `//${name[0]?.toUpperCase()}${name.slice(1)}`);
    const id = u8aToHex(pair ? pair.publicKey : decodeAddress(address as string)) as Hex;
    const acc: SimAccount = {
      name,
      address: this.codec.ss58(pair ? pair.publicKey : (address as string)),
      id,
      pair,
    };
    this.accounts.set(name, acc);
    this.byId.set(id, acc);
    return acc;
  }

  /** An account by scenario name, SS58 address or hex id (unknown addresses are added on the fly). */
  account(ref: string): SimAccount {
    const named = this.accounts.get(ref);
    if (named) return named;
    const id = u8aToHex(decodeAddress(ref)) as Hex;
    return this.byId.get(id) ?? this.addAccount(ref, undefined, ref);
  }

  get(hash: string): SimBlock | undefined {
    return this.blocks.get(hash.toLowerCase() as Hex);
  }

  mustGet(hash: string): SimBlock {
    const b = this.get(hash);
    if (!b) throw new Error(`unknown block ${hash}`);
    return b;
  }

  tip(branch = 'main'): SimBlock {
    const h = this.branches.get(branch);
    if (!h) throw new Error(`unknown branch ${branch}`);
    return this.mustGet(h);
  }

  /** The ancestor of `from` (inclusive) at a height, or undefined above it. */
  ancestorAt(from: SimBlock, height: number): SimBlock | undefined {
    let b: SimBlock | undefined = from;
    while (b && b.number > height) b = this.get(b.parentHash);
    return b && b.number === height ? b : undefined;
  }

  isAncestor(ancestor: SimBlock, of: SimBlock): boolean {
    return this.ancestorAt(of, ancestor.number)?.hash === ancestor.hash;
  }

  /** `branch@height`, `branch@tip`, `branch@tip-n` (branch defaults to main), a height on main, or a hash. */
  resolve(ref: string | number): SimBlock {
    if (typeof ref === 'number') return this.mustResolveAt('main', ref);
    if (/^0x[0-9a-fA-F]{64}$/.test(ref)) return this.mustGet(ref);
    const m = /^(?:([^@]+)@)?(?:(\d+)|tip(?:-(\d+))?)$/.exec(ref);
    if (!m)
      throw new Error(`bad block reference ${ref} (want branch@height, branch@tip[-n], a height or a hash)`);
    const branch = m[1] ?? 'main';
    if (m[2] !== undefined) return this.mustResolveAt(branch, Number(m[2]));
    const tip = this.tip(branch);
    return this.mustResolveAt(branch, tip.number - Number(m[3] ?? 0));
  }

  private mustResolveAt(branch: string, height: number): SimBlock {
    const b = this.ancestorAt(this.tip(branch), height);
    if (!b) throw new Error(`branch ${branch} has no block at height ${height}`);
    return b;
  }

  sudoAccount(): SimAccount {
    if (!this.sudoName) throw new Error('the scenario has no sudo account');
    return this.account(this.sudoName);
  }

  /** Builds a block on `parent`, stores it, moves the branch tip when it extends it. */
  build(input: BuildInput): SimBlock {
    const { parent } = input;
    const specVersion = input.specVersion ?? parent.specVersion;
    const accounts = new Map(parent.accounts);
    for (const [id, free] of input.sets ?? [])
      accounts.set(id, { nonce: accounts.get(id)?.nonce ?? 0, free });
    const body = blockBody(this, {
      number: parent.number + 1,
      timestampMs: input.timestampMs,
      txs: input.txs,
      extraEvents: input.events ?? [],
      accounts,
      specVersion: parent.specVersion,
      fakeSignatures: input.fakeSignatures ?? false,
    });
    for (const [id, amount] of input.drains ?? []) {
      const s = accounts.get(id) ?? { free: 0n, nonce: 0 };
      accounts.set(id, { ...s, free: s.free > amount ? s.free - amount : 0n });
    }
    const author = blake2AsU8a(`author:${input.branch}`, 256);
    const header = this.codec.header({
      parentHash: parent.hash,
      number: parent.number + 1,
      stateRoot: pseudoRoot(parent.hash, body.eventsHex),
      extrinsicsRoot: pseudoRoot(...body.extrinsics),
      slot: input.slot,
      author,
    });
    const block: SimBlock = {
      hash: header.hash,
      number: parent.number + 1,
      parentHash: parent.hash,
      branch: input.branch,
      slot: input.slot,
      timestampMs: input.timestampMs,
      specVersion,
      header: header.wire,
      extrinsics: body.extrinsics,
      eventsHex: body.eventsHex,
      accounts,
      activity: body.activity,
    };
    if (this.blocks.has(block.hash))
      throw new Error(`block ${block.hash} built twice (same parent and content)`);
    this.blocks.set(block.hash, block);
    const tip = this.branches.get(input.branch);
    if (tip === undefined || tip === parent.hash) this.branches.set(input.branch, block.hash);
    return block;
  }
}
