import { u8aToHex } from '@polkadot/util';
import type { BlockTree, SimBlock } from './chain.ts';
import { accountKey, accountOfKey, type Hex, STORAGE } from './codec.ts';

const le = (value: bigint, bytes: number): Hex => {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return u8aToHex(out) as Hex;
};

/**
 * The storage values the simulator keeps, at a block: `System.Events`, `System.Number`, `Timestamp.Now`,
 * `Sudo.Key` and `System.Account(id)`. Any other key reads as empty (null), as on a node for an unset key.
 */
export function storageValue(tree: BlockTree, block: SimBlock, key: string): Hex | null {
  const k = key.toLowerCase();
  if (k === STORAGE.systemEvents) return block.eventsHex;
  if (k === STORAGE.systemNumber) return le(BigInt(block.number), 4);
  if (k === STORAGE.timestampNow) return le(BigInt(block.timestampMs), 8);
  if (k === STORAGE.sudoKey) return tree.sudoName ? tree.sudoAccount().id : null;
  const id = accountOfKey(k);
  if (id) {
    const s = block.accounts.get(id);
    return s ? tree.codec.accountInfo(s.free, s.nonce) : null;
  }
  return null;
}

/** `state_getKeysPaged`: the `System.Account` keys of the block under a prefix, sorted, after `startKey`. */
export function keysPaged(block: SimBlock, prefix: string, count: number, startKey?: string): Hex[] {
  const p = prefix.toLowerCase();
  const fixed = [STORAGE.systemEvents, STORAGE.systemNumber, STORAGE.timestampNow];
  const keys = [...fixed, ...[...block.accounts.keys()].map((id) => accountKey(hexBytes(id)))]
    .filter((k) => k.startsWith(p))
    .sort();
  const after = startKey?.toLowerCase();
  return keys.filter((k) => !after || k > after).slice(0, count);
}

function hexBytes(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
}
