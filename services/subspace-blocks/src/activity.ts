import { u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import type { DecodedBlock, DecodedCall, DecodedEvent } from './decode.ts';

/** Facts read from one block's extrinsics and events (before they become events on the bus). */
export interface Ref {
  extrinsic: number | null;
  event: number | null;
}

export interface TransferFact {
  kind: 'transfer' | 'force' | 'transporter' | 'domains';
  call: string;
  from: string | null;
  to: string | null;
  amount: bigint;
  via: 'extrinsic' | 'event';
  inSudo: boolean;
  ref: Ref;
}

export interface SudoFact {
  call: string;
  inner: string | null;
  signer: string | null;
  result: 'ok' | 'error' | null;
  via: 'extrinsic' | 'event';
  ref: Ref;
}

export interface ActivityFact {
  address: string;
  call: string;
  via: 'extrinsic' | 'event';
  ref: Ref;
}

export interface BlockFacts {
  transfers: TransferFact[];
  sudos: SudoFact[];
  activity: ActivityFact[];
  slashed: { operatorId: string; reason: string; ref: Ref }[];
  offline: {
    operatorId: string;
    domainId: string;
    submitted: number | null;
    expected: number | null;
    minRequired: number | null;
    ref: Ref;
  }[];
  /** Subspace.FarmerVote public keys. */
  voters: string[];
  codeUpdated: boolean;
}

/** Named fields summed as a transfer's value (chain-alerter transfer.rs). */
const AMOUNT_FIELDS = ['amount', 'delta', 'newFree', 'value', 'freeBalance'];

function amountOf(fields: Record<string, unknown>): bigint {
  let sum = 0n;
  for (const f of AMOUNT_FIELDS) {
    const v = fields[f];
    if (v === undefined || v === null) continue;
    try {
      sum += BigInt(typeof v === 'number' ? Math.trunc(v) : String(v));
    } catch {
      // not a number (an enum such as force_adjust_total_issuance's direction)
    }
  }
  return sum;
}

const str = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object' && v && 'id' in v) return String((v as { id: unknown }).id);
  return String(v);
};

/** The first account-looking string inside a location (e.g. Transporter's `{chainId, accountId: {accountId32}}`). */
function accountIn(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object')
    for (const x of Object.values(v)) {
      const found = accountIn(x);
      if (found && /^(0x[0-9a-f]{64}|[1-9A-HJ-NP-Za-km-z]{40,})$/.test(found)) return found;
    }
  return null;
}

/** Keys of addresses seen lately (the same accounts come back block after block; SS58 decoding is not free). */
const keys = new Map<string, string | null>();
const KEYS_KEPT = 10_000;

/** Accounts as public-key hex, so addresses match whatever SS58 prefix they were written with. */
export function accountKey(address: string): string | null {
  const known = keys.get(address);
  if (known !== undefined) return known;
  let key: string | null;
  try {
    key = u8aToHex(decodeAddress(address));
  } catch {
    key = null;
  }
  if (keys.size >= KEYS_KEPT) keys.clear();
  keys.set(address, key);
  return key;
}

function transferOfCall(
  c: DecodedCall,
  signer: string | null,
): Omit<TransferFact, 'via' | 'inSudo' | 'ref'> | null {
  const a = c.args;
  if (c.section === 'balances') {
    const force = c.method.startsWith('force');
    const amount = amountOf(a);
    if (
      !force &&
      !['transfer', 'transferAllowDeath', 'transferKeepAlive', 'transferAll', 'burn'].includes(c.method)
    )
      return null;
    return {
      kind: force ? 'force' : 'transfer',
      call: `balances.${c.method}`,
      from: str(a.source) ?? signer,
      to: str(a.dest) ?? str(a.who),
      amount,
    };
  }
  if ((c.section === 'transporter' || c.section === 'domains') && a.amount !== undefined)
    return {
      kind: c.section,
      call: `${c.section}.${c.method}`,
      from: signer,
      to:
        c.section === 'domains' && a.operatorId !== undefined
          ? `operator:${a.operatorId}`
          : accountIn(a.dstLocation ?? a.dest),
      amount: amountOf({ amount: a.amount }),
    };
  return null;
}

/** Reads the facts of a decoded block: priority between kinds is the alerter's job (rule priority). */
export function blockFacts(block: DecodedBlock, important: Set<string>): BlockFacts {
  const facts: BlockFacts = {
    transfers: [],
    sudos: [],
    activity: [],
    slashed: [],
    offline: [],
    voters: [],
    codeUpdated: false,
  };
  const isImportant = (addr: string | null) => {
    if (!addr) return false;
    const k = accountKey(addr);
    return !!k && important.has(k);
  };

  for (const ex of block.extrinsics) {
    const ref: Ref = { extrinsic: ex.index, event: null };
    const walk = (c: DecodedCall, inSudo: boolean) => {
      const t = transferOfCall(c, ex.signer);
      if (t) facts.transfers.push({ ...t, via: 'extrinsic', inSudo, ref });
      if (c.section === 'sudo') {
        facts.sudos.push({
          call: `sudo.${c.method}`,
          inner: c.inner[0] ? `${c.inner[0].section}.${c.inner[0].method}` : null,
          signer: ex.signer,
          result: null,
          via: 'extrinsic',
          ref,
        });
      }
      for (const i of c.inner) walk(i, inSudo || c.section === 'sudo');
    };
    walk(ex.call, false);
    if (ex.signer && isImportant(ex.signer))
      facts.activity.push({
        address: ex.signer,
        call: `${ex.call.section}.${ex.call.method}`,
        via: 'extrinsic',
        ref,
      });
  }

  for (const ev of block.events ?? []) eventFacts(ev, facts, isImportant);
  return facts;
}

const SUDO_EVENTS = ['Sudid', 'SudoAsDone', 'KeyChanged', 'KeyRemoved'];

/**
 * The events `eventFacts` reads (the others are not decoded): the named ones, and with important addresses to
 * watch every event outside `system` and `transactionPayment` (any of its fields may be such an address).
 */
export function eventsRead(important: Set<string>): (section: string, method: string) => boolean {
  const activity = important.size > 0;
  return (section, method) => {
    if (section === 'system') return method === 'CodeUpdated';
    if (section === 'transactionPayment') return false;
    if (activity) return true;
    if (section === 'balances') return method === 'Transfer';
    if (section === 'sudo') return SUDO_EVENTS.includes(method);
    if (section === 'domains') return method === 'OperatorSlashed' || method === 'OperatorOffline';
    return section === 'subspace' && method === 'FarmerVote';
  };
}

function eventFacts(ev: DecodedEvent, facts: BlockFacts, isImportant: (a: string | null) => boolean): void {
  const ref: Ref = { extrinsic: ev.extrinsic, event: ev.index };
  const name = `${ev.section}.${ev.method}`;
  const d = ev.data;
  if (ev.section === 'balances' && ev.method === 'Transfer') {
    facts.transfers.push({
      kind: 'transfer',
      call: name,
      from: str(d.from),
      to: str(d.to),
      amount: amountOf(d),
      via: 'event',
      inSudo: false,
      ref,
    });
    return;
  }
  if (ev.section === 'sudo' && SUDO_EVENTS.includes(ev.method)) {
    const r = d.sudoResult as Record<string, unknown> | undefined;
    facts.sudos.push({
      call: name,
      inner: null,
      signer: null,
      result: r ? ('err' in r || 'error' in r ? 'error' : 'ok') : null,
      via: 'event',
      ref,
    });
    return;
  }
  if (ev.section === 'domains' && ev.method === 'OperatorSlashed') {
    facts.slashed.push({ operatorId: String(d.operatorId), reason: JSON.stringify(d.reason ?? null), ref });
    return;
  }
  if (ev.section === 'domains' && ev.method === 'OperatorOffline') {
    const e = (d.expectations ?? {}) as Record<string, unknown>;
    const n = (v: unknown) => (v === undefined || v === null ? null : Number(v));
    facts.offline.push({
      operatorId: String(d.operatorId),
      domainId: String(d.domainId),
      submitted: n(d.submittedBundles),
      expected: n(e.expectedBundles),
      minRequired: n(e.minRequiredBundles),
      ref,
    });
    return;
  }
  if (ev.section === 'subspace' && ev.method === 'FarmerVote') {
    facts.voters.push(String(d.publicKey));
    return;
  }
  if (ev.section === 'system' && ev.method === 'CodeUpdated') {
    facts.codeUpdated = true;
    return;
  }
  if (ev.section === 'system' || ev.section === 'transactionPayment') return; // fees and success flags of every tx
  for (const v of Object.values(d)) {
    if (typeof v === 'string' && isImportant(v)) {
      facts.activity.push({ address: v, call: name, via: 'event', ref });
      break;
    }
  }
}
