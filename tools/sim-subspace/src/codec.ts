import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { expandMetadata, Metadata, TypeRegistry } from '@polkadot/types';
import type { Call, ChainProperties, Extrinsic, Header } from '@polkadot/types/interfaces';
import type { SignatureOptions } from '@polkadot/types/types';
import { compactToU8a, hexToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, cryptoWaitReady, decodeAddress, xxhashAsU8a } from '@polkadot/util-crypto';
import { runtimeVersion, subspaceMetadataHex } from './metadata.ts';

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

const twox128 = (s: string) => xxhashAsU8a(s, 128);

/**
 * SCALE encoding against the simulated runtime's metadata: calls and extrinsics through the decorated metadata
 * (as a wallet builds them), events field by field from the metadata's type lookup, headers with their hash
 * computed the Substrate way (blake2-256 of the SCALE header).
 */
export class SubspaceCodec {
  readonly registry = new TypeRegistry();
  readonly metadata: Metadata;
  readonly tx: ReturnType<typeof expandMetadata>['tx'];
  readonly keyring = new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX });
  private readonly eventIndex = new Map<string, { pallet: number; variant: number; fieldTypes: string[] }>();

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
    this.tx = expandMetadata(this.registry, this.metadata).tx;
    for (const p of this.metadata.asLatest.pallets) {
      if (p.events.isNone) continue;
      const def = this.registry.lookup.getSiType(p.events.unwrap().type).def;
      for (const v of def.asVariant.variants) {
        this.eventIndex.set(`${p.name.toString().toLowerCase()}.${v.name.toString().toLowerCase()}`, {
          pallet: p.index.toNumber(),
          variant: v.index.toNumber(),
          fieldTypes: v.fields.map((f) => this.registry.createLookupType(f.type)),
        });
      }
    }
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

  call(section: string, method: string, ...args: unknown[]): Call {
    const pallet = this.tx[section];
    const fn = pallet?.[method];
    if (!fn) throw new Error(`no call ${section}.${method} in the simulated runtime`);
    return fn(...args) as Call;
  }

  /** An unsigned extrinsic (inherent), e.g. `timestamp.set`. */
  unsigned(call: Call): Hex {
    return this.registry.createType('Extrinsic', call).toHex();
  }

  /**
   * A signed extrinsic (immortal era): signed for real with a pair's sr25519 key, or with a fake signature of
   * the right shape for an address-only account (the client does not verify signatures).
   */
  signed(
    call: Call,
    signer: KeyringPair | string,
    opts: { nonce: number; genesisHash: Hex; specVersion: number; transactionVersion: number },
  ): Hex {
    const ext: Extrinsic = this.registry.createType('Extrinsic', call);
    const options = {
      blockHash: opts.genesisHash,
      genesisHash: opts.genesisHash,
      nonce: opts.nonce,
      runtimeVersion: runtimeVersion(opts.specVersion, opts.transactionVersion),
      signedExtensions: this.registry.signedExtensions,
    } as unknown as SignatureOptions;
    if (typeof signer === 'string') ext.signFake(signer, options);
    else ext.sign(signer, options);
    return ext.toHex();
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
        parts.push(this.registry.createType(t, r.args[i]).toU8a());
      });
      parts.push(compactToU8a(0)); // topics
    }
    return u8aToHex(u8aConcat(...parts));
  }

  header(input: {
    parentHash: Hex;
    number: number;
    stateRoot: Hex;
    extrinsicsRoot: Hex;
    slot: bigint;
    author: Uint8Array;
  }): Header {
    const slot = new Uint8Array(8);
    new DataView(slot.buffer).setBigUint64(0, input.slot, true);
    // PreDigest V0: version byte 0, slot (u64 LE), then (a stand-in for) the solution: public key + reward address.
    const preDigest = u8aConcat(Uint8Array.of(0), slot, input.author, input.author);
    const seal = blake2AsU8a(u8aConcat(input.parentHash, slot), 512);
    return this.registry.createType('Header', {
      parentHash: input.parentHash,
      number: input.number,
      stateRoot: input.stateRoot,
      extrinsicsRoot: input.extrinsicsRoot,
      digest: {
        logs: [
          { PreRuntime: [SUBSPACE_ENGINE, u8aToHex(preDigest)] },
          { Seal: [SUBSPACE_ENGINE, u8aToHex(seal)] },
        ],
      },
    });
  }

  /** A header as a node sends it: number as hex, digest logs as SCALE hex. */
  wireHeader(h: Header): WireHeader {
    return {
      parentHash: h.parentHash.toHex(),
      number: `0x${h.number.toBn().toString(16)}`,
      stateRoot: h.stateRoot.toHex(),
      extrinsicsRoot: h.extrinsicsRoot.toHex(),
      digest: { logs: h.digest.logs.map((l) => l.toHex()) },
    };
  }

  /** `frame_system::AccountInfo` SCALE for `System.Account`. */
  accountInfo(free: bigint, nonce: number): Hex {
    return this.registry
      .createType('FrameSystemAccountInfo', {
        nonce,
        consumers: 0,
        providers: 1,
        sufficients: 0,
        data: { free, reserved: 0, frozen: 0, flags: 0x80000000000000000000000000000000n },
      })
      .toHex();
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
  return u8aToHex(u8aConcat(hexToU8a(STORAGE.systemAccountPrefix), blake2AsU8a(accountId, 128), accountId));
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
  return blake2AsHex(u8aConcat(...parts.map((p) => (typeof p === 'string' ? hexToU8a(p) : p))), 256);
}
