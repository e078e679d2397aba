import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { Metadata, TypeRegistry } from '@polkadot/types';
import type { ChainProperties } from '@polkadot/types/interfaces';
import { compactToU8a, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, cryptoWaitReady, decodeAddress, xxhashAsU8a } from '@polkadot/util-crypto';
import { subspaceMetadataHex } from './metadata.ts';
import { Encoded, LookupEncoder } from './scale.ts';

export { Encoded };

/** Autonomys constants (PROTOCOLS.md §4.1). */
export const SS58_PREFIX = 6094;
export const TOKEN_SYMBOL = 'AI3';
export const TOKEN_DECIMALS = 18;
export const AI3 = 10n ** 18n;
/** Consensus engine id of Subspace's pre-runtime digest: `b"SUB_"`. */
export const SUBSPACE_ENGINE = '0x5355425f';

export type Hex = `0x${string}`;

export interface WireHeader {
  parentHash: Hex;
  number: Hex;
  stateRoot: Hex;
  extrinsicsRoot: Hex;
  digest: { logs: Hex[] };
}

/** An event's phase in `System.Events`. */
export type Phase = { applyExtrinsic: number } | 'initialization' | 'finalization';

/** One event to encode: pallet and variant by name, field values in declaration order. */
export interface EventInput {
  section: string;
  method: string;
  args: unknown[];
  phase: Phase;
}

/** Who signs: a dev key (real sr25519 signature) or an address only (a fake signature of the right shape). */
export interface Signer {
  id: Hex;
  pair?: KeyringPair;
}

interface VariantIndex {
  pallet: number;
  variant: number;
  fieldTypes: number[];
}

const twox128 = (s: string) => xxhashAsU8a(s, 128);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const FAKE_SIGNATURE = new Uint8Array(64).fill(1);

/**
 * SCALE encoding against the simulated runtime's metadata: calls, extrinsics (v4, immortal, signed
 * extensions from the metadata) and events field by field from the metadata's type lookup; headers with their
 * hash computed the Substrate way (blake2-256 of the SCALE header). polkadot-js decodes all of it (tests).
 */
export class SubspaceCodec {
  readonly registry = new TypeRegistry();
  readonly metadata: Metadata;
  readonly keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX });
  private readonly enc: LookupEncoder;
  private readonly eventIndex = new Map<string, VariantIndex>();
  private readonly callIndex = new Map<string, VariantIndex & { names: string[] }>();
  private readonly accountInfoType: number;
  private readonly extensions: Array<{ id: string; type: number; additional: number }>;

  private constructor() {
    this.metadata = new Metadata(this.registry, subspaceMetadataHex());
    this.registry.setMetadata(this.metadata);
    this.registry.setChainProperties(
      this.registry.createType('ChainProperties', {
        ss58Format: SS58_PREFIX,
        tokenDecimals: [TOKEN_DECIMALS],
        tokenSymbol: [TOKEN_SYMBOL],
      }) as ChainProperties,
    );
    this.enc = new LookupEncoder(this.registry);
    const lookup = this.registry.lookup;
    for (const p of this.metadata.asLatest.pallets) {
      const pallet = p.index.toNumber();
      const section = p.name.toString().toLowerCase();
      if (p.events.isSome) {
        for (const v of lookup.getSiType(p.events.unwrap().type).def.asVariant.variants) {
          this.eventIndex.set(`${section}.${v.name.toString().toLowerCase()}`, {
            pallet,
            variant: v.index.toNumber(),
            fieldTypes: v.fields.map((f) => f.type.toNumber()),
          });
        }
      }
      if (p.calls.isSome) {
        for (const v of lookup.getSiType(p.calls.unwrap().type).def.asVariant.variants) {
          this.callIndex.set(`${section}.${v.name.toString()}`, {
            pallet,
            variant: v.index.toNumber(),
            fieldTypes: v.fields.map((f) => f.type.toNumber()),
            names: v.fields.map((f) => f.name.unwrapOr('').toString()),
          });
        }
      }
    }
    const account = this.metadata.asLatest.pallets
      .find((p) => p.name.toString() === 'System')
      ?.storage.unwrap()
      .items.find((i) => i.name.toString() === 'Account');
    if (!account) throw new Error('the metadata has no System.Account');
    this.accountInfoType = account.type.asMap.value.toNumber();
    this.extensions = this.metadata.asV14.extrinsic.signedExtensions.map((e) => ({
      id: e.identifier.toString(),
      type: e.type.toNumber(),
      additional: e.additionalSigned.toNumber(),
    }));
  }

  /** Waits for the sr25519 WASM crypto, then builds the codec. */
  static async create(): Promise<SubspaceCodec> {
    await cryptoWaitReady();
    return new SubspaceCodec();
  }

  /** A dev account from a secret URI such as `//Alice` (sr25519, SS58 6094). */
  account(uri: string): KeyringPair {
    return this.keyring.addFromUri(uri);
  }

  ss58(address: string | Uint8Array): string {
    return this.keyring.encodeAddress(
      typeof address === 'string' ? decodeAddress(address) : address,
      SS58_PREFIX,
    );
  }

  /** A call: `section` as in polkadot-js (`balances`), `method` snake_case or camelCase, args in field order. */
  call(section: string, method: string, ...args: unknown[]): Encoded {
    const c = this.callIndex.get(`${section.toLowerCase()}.${snake(method)}`);
    if (!c) throw new Error(`no call ${section}.${method} in the simulated runtime`);
    if (c.fieldTypes.length !== args.length) {
      throw new Error(`${section}.${method} takes ${c.names.join(', ')}; got ${args.length} values`);
    }
    return new Encoded(
      u8aConcat(
        Uint8Array.of(c.pallet, c.variant),
        ...c.fieldTypes.map((t, i) => this.enc.encode(t, args[i])),
      ),
    );
  }

  /** A bare (unsigned, v4) extrinsic, e.g. the `timestamp.set` inherent. */
  unsigned(call: Encoded): Hex {
    const body = u8aConcat(Uint8Array.of(0x04), call.bytes);
    return u8aToHex(u8aConcat(compactToU8a(body.length), body)) as Hex;
  }

  /** A signed v4 extrinsic, immortal, no tip, metadata hash check disabled. */
  signed(
    call: Encoded,
    signer: Signer,
    opts: { nonce: number; genesisHash: Hex; specVersion: number; transactionVersion: number },
  ): Hex {
    const extraValues: Record<string, unknown> = {
      CheckMortality: 'Immortal',
      CheckNonce: opts.nonce,
      ChargeAssetTxPayment: { tip: 0, asset_id: 'None' },
      ChargeTransactionPayment: 0,
      CheckMetadataHash: { mode: 'Disabled' },
    };
    const additionalValues: Record<string, unknown> = {
      CheckSpecVersion: opts.specVersion,
      CheckTxVersion: opts.transactionVersion,
      CheckGenesis: opts.genesisHash,
      CheckMortality: opts.genesisHash,
      CheckMetadataHash: 'None',
    };
    const extra = u8aConcat(...this.extensions.map((e) => this.enc.encode(e.type, extraValues[e.id] ?? {})));
    let signature: Uint8Array = FAKE_SIGNATURE;
    if (signer.pair) {
      const additional = u8aConcat(
        ...this.extensions.map((e) => this.enc.encode(e.additional, additionalValues[e.id] ?? {})),
      );
      const payload = u8aConcat(call.bytes, extra, additional);
      signature = signer.pair.sign(payload.length > 256 ? blake2AsU8a(payload, 256) : payload);
    }
    const body = u8aConcat(
      Uint8Array.of(0x84, 0x00), // v4 signed; MultiAddress::Id
      hexToU8a(signer.id),
      Uint8Array.of(0x01), // MultiSignature::Sr25519
      signature,
      extra,
      call.bytes,
    );
    return u8aToHex(u8aConcat(compactToU8a(body.length), body)) as Hex;
  }

  /** `Vec<EventRecord>` SCALE, as `System.Events` stores it. */
  events(records: EventInput[]): Hex {
    const parts: Uint8Array[] = [compactToU8a(records.length)];
    for (const r of records) {
      const e = this.eventIndex.get(`${r.section.toLowerCase()}.${r.method.toLowerCase()}`);
      if (!e) throw new Error(`no event ${r.section}.${r.method} in the simulated runtime`);
      if (e.fieldTypes.length !== r.args.length) {
        throw new Error(`${r.section}.${r.method} has ${e.fieldTypes.length} fields, got ${r.args.length}`);
      }
      parts.push(phaseU8a(r.phase), Uint8Array.of(e.pallet, e.variant));
      e.fieldTypes.forEach((t, i) => {
        parts.push(this.enc.encode(t, r.args[i]));
      });
      parts.push(compactToU8a(0)); // topics
    }
    return u8aToHex(u8aConcat(...parts)) as Hex;
  }

  /**
   * A header with a Subspace pre-runtime digest (`SUB_`: PreDigest V0 = 0x00 ‖ slot u64 LE ‖ a stand-in for the
   * solution) and a seal. Returns the wire JSON (number hex, logs as SCALE) and the hash: blake2-256 of the
   * SCALE header, seal included, as Substrate computes a block hash.
   */
  header(input: {
    parentHash: Hex;
    number: number;
    stateRoot: Hex;
    extrinsicsRoot: Hex;
    slot: bigint;
    author: Uint8Array;
  }): { hash: Hex; wire: WireHeader } {
    const slot = new Uint8Array(8);
    new DataView(slot.buffer).setBigUint64(0, input.slot, true);
    const preDigest = u8aConcat(Uint8Array.of(0), slot, input.author, input.author);
    const seal = blake2AsU8a(u8aConcat(hexToU8a(input.parentHash), slot), 512);
    const engine = hexToU8a(SUBSPACE_ENGINE);
    const item = (kind: number, data: Uint8Array) =>
      u8aConcat(Uint8Array.of(kind), engine, compactToU8a(data.length), data);
    const logs = [item(6, preDigest), item(5, seal)];
    const encoded = u8aConcat(
      hexToU8a(input.parentHash),
      compactToU8a(input.number),
      hexToU8a(input.stateRoot),
      hexToU8a(input.extrinsicsRoot),
      compactToU8a(logs.length),
      ...logs,
    );
    return {
      hash: blake2AsHex(encoded, 256) as Hex,
      wire: {
        parentHash: input.parentHash,
        number: `0x${input.number.toString(16)}`,
        stateRoot: input.stateRoot,
        extrinsicsRoot: input.extrinsicsRoot,
        digest: { logs: logs.map((l) => u8aToHex(l) as Hex) },
      },
    };
  }

  /** `frame_system::AccountInfo` SCALE for `System.Account`. */
  accountInfo(free: bigint, nonce: number): Hex {
    const data = { free, reserved: 0, frozen: 0, flags: 1n << 127n };
    const info = { nonce, consumers: 0, providers: 1, sufficients: 0, data };
    return u8aToHex(this.enc.encode(this.accountInfoType, info)) as Hex;
  }
}

function phaseU8a(p: Phase): Uint8Array {
  if (p === 'finalization') return Uint8Array.of(1);
  if (p === 'initialization') return Uint8Array.of(2);
  const out = new Uint8Array(5);
  new DataView(out.buffer).setUint32(1, p.applyExtrinsic, true);
  return out;
}

/** Storage keys the simulator answers. */
export const STORAGE = {
  systemEvents: u8aToHex(u8aConcat(twox128('System'), twox128('Events'))),
  systemNumber: u8aToHex(u8aConcat(twox128('System'), twox128('Number'))),
  timestampNow: u8aToHex(u8aConcat(twox128('Timestamp'), twox128('Now'))),
  sudoKey: u8aToHex(u8aConcat(twox128('Sudo'), twox128('Key'))),
  systemAccountPrefix: u8aToHex(u8aConcat(twox128('System'), twox128('Account'))),
};

/** `System.Account` key of an account: prefix ‖ blake2_128(id) ‖ id. */
export function accountKey(accountId: Uint8Array): Hex {
  return u8aToHex(
    u8aConcat(hexToU8a(STORAGE.systemAccountPrefix), blake2AsU8a(accountId, 128), accountId),
  ) as Hex;
}

/** The account id in a `System.Account` key, or undefined for another key. */
export function accountOfKey(key: string): Hex | undefined {
  const k = key.toLowerCase();
  if (
    !k.startsWith(STORAGE.systemAccountPrefix) ||
    k.length !== STORAGE.systemAccountPrefix.length + 32 + 64
  ) {
    return undefined;
  }
  return `0x${k.slice(-64)}`;
}

/** A stand-in root (blake2-256 of the concatenated parts); a real node computes a trie root. */
export function pseudoRoot(...parts: Array<string | Uint8Array>): Hex {
  return blake2AsHex(u8aConcat(...parts.map((p) => (typeof p === 'string' ? hexToU8a(p) : p))), 256) as Hex;
}
