import { compactToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import type { AccountState, BlockTree, SimAccount } from './chain.ts';
import type { Encoded, EventInput, Hex } from './codec.ts';

/** A fee every signed extrinsic pays: 0.001 AI3. */
export const TX_FEE = 10n ** 15n;

export type TransferMethod = 'transfer_allow_death' | 'transfer_keep_alive' | 'transfer_all';

/** One extrinsic of a block, as a scenario or a test asks for it. Account refs: scenario name or SS58 address. */
export type TxSpec =
  | { kind: 'transfer'; from: string; to: string; amount: bigint; method?: TransferMethod }
  /** `Balances.force_transfer`, wrapped in `Sudo.sudo` signed by the sudo key unless `sudo: false`. */
  | { kind: 'force_transfer'; source: string; dest: string; amount: bigint; sudo?: boolean }
  /** `Transporter.transfer` to a domain (cross-chain, XDM). */
  | { kind: 'transporter'; from: string; to: string; amount: bigint; domainId?: number }
  /** `Domains.nominate_operator`: stake moved to an operator. */
  | { kind: 'domains'; from: string; operatorId: number; amount: bigint }
  /** `Sudo.sudo(System.remark)` by the sudo key (or `from`). */
  | { kind: 'sudo'; from?: string; remark?: string }
  /** `System.remark` from an account: activity that is not a transfer. */
  | { kind: 'remark'; from: string; remark?: string }
  /** `Sudo.sudo(System.set_code)`; the block's state carries the new spec version. */
  | { kind: 'set_code'; specVersion: number }
  /** Bytes the runtime metadata cannot decode: a call of pallet 250 (metadata mismatch). */
  | { kind: 'undecodable' }
  /** An event record of an unknown pallet appended to the block's `System.Events` (metadata mismatch). */
  | { kind: 'undecodable_event' };

export interface TransferActivity {
  kind: 'transfer' | 'force' | 'transporter' | 'domains';
  from: string;
  to: string;
  amount: bigint;
  extrinsicIndex: number;
}

export interface BlockActivity {
  transfers: TransferActivity[];
  sudo: number;
  farmerVotes: number;
  other: string[];
}

interface BodyInput {
  number: number;
  timestampMs: number;
  txs: TxSpec[];
  extraEvents: EventInput[];
  accounts: Map<Hex, AccountState>;
  /** The runtime the block executes with (its parent's). */
  specVersion: number;
  fakeSignatures: boolean;
}

const UNKNOWN_PALLET = 250;

const success = (i: number): EventInput => ({
  section: 'System',
  method: 'ExtrinsicSuccess',
  args: [{ weight: { refTime: 125_000_000, proofSize: 1_500 }, class: 'Normal', paysFee: 'Yes' }],
  phase: { applyExtrinsic: i },
});

/** Extrinsics and events of a block; applies balance changes to `accounts`. */
export function blockBody(
  tree: BlockTree,
  input: BodyInput,
): { extrinsics: Hex[]; eventsHex: Hex; activity: BlockActivity } {
  const { codec } = tree;
  const extrinsics: Hex[] = [codec.unsigned(codec.call('timestamp', 'set', input.timestampMs))];
  const events: EventInput[] = [...input.extraEvents, success(0)];
  const activity: BlockActivity = {
    transfers: [],
    sudo: 0,
    farmerVotes: input.extraEvents.filter((e) => e.method === 'FarmerVote').length,
    other: [],
  };
  let trailingRaw: Uint8Array | undefined;

  const state = (a: SimAccount): AccountState => input.accounts.get(a.id) ?? { free: 0n, nonce: 0 };
  const move = (from: SimAccount, to: SimAccount | undefined, amount: bigint) => {
    const f = state(from);
    input.accounts.set(from.id, { ...f, free: f.free > amount ? f.free - amount : 0n });
    if (to) {
      const t = state(to);
      input.accounts.set(to.id, { ...t, free: t.free + amount });
    }
  };
  const sign = (call: Encoded, signer: SimAccount): Hex => {
    const s = state(signer);
    input.accounts.set(signer.id, { free: s.free > TX_FEE ? s.free - TX_FEE : 0n, nonce: s.nonce + 1 });
    const opts = {
      nonce: s.nonce,
      genesisHash: tree.genesis.hash,
      specVersion: input.specVersion,
      transactionVersion: tree.transactionVersion,
    };
    return codec.signed(call, { id: signer.id, pair: input.fakeSignatures ? undefined : signer.pair }, opts);
  };
  const push = (hex: Hex, signer: SimAccount, specific: Array<Omit<EventInput, 'phase'>>) => {
    const i = extrinsics.length;
    extrinsics.push(hex);
    const phase = { applyExtrinsic: i };
    events.push({ section: 'Balances', method: 'Withdraw', args: [signer.address, TX_FEE], phase });
    for (const e of specific) events.push({ ...e, phase });
    events.push({
      section: 'TransactionPayment',
      method: 'TransactionFeePaid',
      args: [signer.address, TX_FEE, 0],
      phase,
    });
    events.push(success(i));
    return i;
  };

  for (const tx of input.txs) {
    switch (tx.kind) {
      case 'transfer': {
        const from = tree.account(tx.from);
        const to = tree.account(tx.to);
        const method = tx.method ?? 'transfer_keep_alive';
        const amount = method === 'transfer_all' ? state(from).free - TX_FEE : tx.amount;
        const call =
          method === 'transfer_all'
            ? codec.call('balances', 'transfer_all', { Id: to.id }, true)
            : codec.call('balances', method, { Id: to.id }, amount);
        const hex = sign(call, from);
        move(from, to, amount);
        const i = push(hex, from, [
          { section: 'Balances', method: 'Transfer', args: [from.address, to.address, amount] },
        ]);
        activity.transfers.push({
          kind: 'transfer',
          from: from.address,
          to: to.address,
          amount,
          extrinsicIndex: i,
        });
        break;
      }
      case 'force_transfer': {
        const source = tree.account(tx.source);
        const dest = tree.account(tx.dest);
        const inner = codec.call('balances', 'force_transfer', { Id: source.id }, { Id: dest.id }, tx.amount);
        const viaSudo = tx.sudo !== false;
        const signer = viaSudo ? tree.sudoAccount() : source;
        const hex = sign(viaSudo ? codec.call('sudo', 'sudo', inner) : inner, signer);
        move(source, dest, tx.amount);
        const specific: Array<Omit<EventInput, 'phase'>> = [
          { section: 'Balances', method: 'Transfer', args: [source.address, dest.address, tx.amount] },
        ];
        if (viaSudo) specific.push({ section: 'Sudo', method: 'Sudid', args: [{ Ok: null }] });
        const i = push(hex, signer, specific);
        if (viaSudo) activity.sudo++;
        activity.transfers.push({
          kind: 'force',
          from: source.address,
          to: dest.address,
          amount: tx.amount,
          extrinsicIndex: i,
        });
        break;
      }
      case 'transporter': {
        const from = tree.account(tx.from);
        const to = tree.account(tx.to);
        const domain = tx.domainId ?? 0;
        const dst = { chain_id: { Domain: domain }, account_id: { AccountId32: to.id } };
        const hex = sign(codec.call('transporter', 'transfer', dst, tx.amount), from);
        move(from, undefined, tx.amount);
        const nonce = BigInt(input.number) * 100n + BigInt(extrinsics.length);
        const i = push(hex, from, [
          { section: 'Balances', method: 'Burned', args: [from.address, tx.amount] },
          {
            section: 'Transporter',
            method: 'OutgoingTransferInitiated',
            args: [{ Domain: domain }, [0, nonce], tx.amount],
          },
        ]);
        activity.transfers.push({
          kind: 'transporter',
          from: from.address,
          to: to.address,
          amount: tx.amount,
          extrinsicIndex: i,
        });
        break;
      }
      case 'domains': {
        const from = tree.account(tx.from);
        const hex = sign(codec.call('domains', 'nominate_operator', tx.operatorId, tx.amount), from);
        move(from, undefined, tx.amount);
        const i = push(hex, from, [
          { section: 'Balances', method: 'Reserved', args: [from.address, tx.amount] },
          { section: 'Domains', method: 'OperatorNominated', args: [tx.operatorId, from.address, tx.amount] },
        ]);
        activity.transfers.push({
          kind: 'domains',
          from: from.address,
          to: `operator:${tx.operatorId}`,
          amount: tx.amount,
          extrinsicIndex: i,
        });
        break;
      }
      case 'sudo': {
        const signer = tx.from ? tree.account(tx.from) : tree.sudoAccount();
        const inner = codec.call('system', 'remark', tx.remark ?? 'sudo');
        push(sign(codec.call('sudo', 'sudo', inner), signer), signer, [
          { section: 'Sudo', method: 'Sudid', args: [{ Ok: null }] },
        ]);
        activity.sudo++;
        break;
      }
      case 'remark': {
        const from = tree.account(tx.from);
        push(sign(codec.call('system', 'remark', tx.remark ?? 'hello'), from), from, []);
        activity.other.push(`remark:${from.address}`);
        break;
      }
      case 'set_code': {
        const signer = tree.sudoAccount();
        const code = u8aToHex(new TextEncoder().encode(`subspace-runtime-${tx.specVersion}`));
        push(sign(codec.call('sudo', 'sudo', codec.call('system', 'set_code', code)), signer), signer, [
          { section: 'System', method: 'CodeUpdated', args: [] },
          { section: 'Sudo', method: 'Sudid', args: [{ Ok: null }] },
        ]);
        activity.sudo++;
        activity.other.push(`set_code:${tx.specVersion}`);
        break;
      }
      case 'undecodable': {
        // A bare (v4 unsigned) extrinsic whose call index names a pallet the metadata lacks.
        const body = u8aConcat(Uint8Array.of(0x04, UNKNOWN_PALLET, 0), new Uint8Array(16).fill(0xee));
        extrinsics.push(u8aToHex(u8aConcat(compactToU8a(body.length), body)) as Hex);
        activity.other.push('undecodable_extrinsic');
        break;
      }
      case 'undecodable_event': {
        trailingRaw = Uint8Array.of(2, UNKNOWN_PALLET, 0, 0xee, 0xee, 0);
        activity.other.push('undecodable_event');
        break;
      }
    }
  }
  let eventsHex = codec.events(events);
  if (trailingRaw) eventsHex = appendRawRecord(eventsHex, events.length, trailingRaw);
  return { extrinsics, eventsHex, activity };
}

/** Re-encodes a `Vec<EventRecord>` with one more (raw) record. */
function appendRawRecord(hex: Hex, count: number, record: Uint8Array): Hex {
  const lenBytes = compactToU8a(count).length;
  const body = hex.slice(2 + lenBytes * 2);
  return `0x${u8aToHex(compactToU8a(count + 1)).slice(2)}${body}${u8aToHex(record).slice(2)}`;
}
