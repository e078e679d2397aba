import type { TypeRegistry } from '@polkadot/types';
import type { SiLookupTypeId, SiTypeDef } from '@polkadot/types/interfaces';
import { compactToU8a, hexToU8a, isHex, isU8a, stringToU8a, u8aConcat } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';

/** A value already SCALE-encoded (e.g. a call nested in `Sudo.sudo`). */
export class Encoded {
  constructor(readonly bytes: Uint8Array) {}
}

type Enc = (value: unknown) => Uint8Array;

/**
 * A SCALE encoder driven by the metadata's type lookup, for the values the simulator writes in bulk (event
 * fields, call arguments, account info). `registry.createType` does the same but is far slower, which matters
 * when a benchmark scenario builds 10,000 blocks; each type's encoder is compiled once from the lookup.
 * Values use the metadata's names: structs as objects (snake_case or camelCase keys), enums as
 * `{ Variant: value }` or `'Variant'`, integers as number/bigint/string, accounts as SS58 or hex, bytes as hex
 * (or text for `Vec<u8>`). Tests hold its output to polkadot-js.
 */
export class LookupEncoder {
  private readonly compiled = new Map<number, Enc>();

  constructor(private readonly registry: TypeRegistry) {}

  encode(typeId: number, value: unknown): Uint8Array {
    if (value instanceof Encoded) return value.bytes;
    return this.get(typeId)(value);
  }

  private get(id: number): Enc {
    let enc = this.compiled.get(id);
    if (!enc) {
      // Placeholder first: recursive types (a call containing calls) resolve lazily.
      this.compiled.set(id, (v) => this.get(id)(v));
      enc = this.compile(id);
      this.compiled.set(id, enc);
    }
    return enc;
  }

  private sub(id: number): Enc {
    return (v) => (v instanceof Encoded ? v.bytes : this.get(id)(v));
  }

  private def(id: number): SiTypeDef {
    return this.registry.lookup.getSiType(id as unknown as SiLookupTypeId).def;
  }

  private isU8(id: number): boolean {
    const d = this.def(id);
    return d.isPrimitive && d.asPrimitive.type === 'U8';
  }

  private compile(id: number): Enc {
    const def = this.def(id);
    if (def.isPrimitive) {
      const type = def.asPrimitive.type;
      return (v) => primitive(type, v);
    }
    if (def.isCompact) return (v) => compactToU8a(toBigInt(v));
    if (def.isArray) {
      const len = def.asArray.len.toNumber();
      const inner = def.asArray.type.toNumber();
      if (this.isU8(inner)) return (v) => fixedBytes(v, len);
      const e = this.sub(inner);
      return (v) => u8aConcat(...(v as unknown[]).map(e));
    }
    if (def.isSequence) {
      const inner = def.asSequence.type.toNumber();
      if (this.isU8(inner)) {
        return (v) => {
          const bytes = toBytes(v);
          return u8aConcat(compactToU8a(bytes.length), bytes);
        };
      }
      const e = this.sub(inner);
      return (v) => u8aConcat(compactToU8a((v as unknown[]).length), ...(v as unknown[]).map(e));
    }
    if (def.isTuple) {
      const encs = def.asTuple.map((t) => this.sub(t.toNumber()));
      return (v) => u8aConcat(...encs.map((e, i) => e((v as unknown[])[i])));
    }
    if (def.isComposite) {
      const fields = def.asComposite.fields.map((f) => ({
        name: f.name.isSome ? f.name.unwrap().toString() : undefined,
        enc: this.sub(f.type.toNumber()),
      }));
      const [first] = fields;
      if (fields.length === 1 && first && first.name === undefined) return first.enc;
      if (fields.length === 0) return () => new Uint8Array();
      return (v) => {
        const obj = v as Record<string, unknown>;
        return u8aConcat(...fields.map((f) => f.enc(obj[f.name as string] ?? obj[camel(f.name as string)])));
      };
    }
    if (def.isVariant) {
      const variants = new Map(
        def.asVariant.variants.map((x) => {
          const fields = x.fields.map((f) => ({
            name: f.name.isSome ? f.name.unwrap().toString() : undefined,
            enc: this.sub(f.type.toNumber()),
          }));
          return [x.name.toString(), { index: x.index.toNumber(), fields }] as const;
        }),
      );
      return (value) => {
        const [name, inner] =
          typeof value === 'string' ? [value, undefined] : (Object.entries(value as object)[0] ?? []);
        const v = variants.get(String(name));
        if (!v) throw new Error(`no variant ${String(name)} in type ${id}`);
        const head = Uint8Array.of(v.index);
        const [only] = v.fields;
        if (!only) return head;
        if (v.fields.length === 1 && only.name === undefined) return u8aConcat(head, only.enc(inner));
        const values = Array.isArray(inner)
          ? inner
          : v.fields.map((f) => (inner as Record<string, unknown>)[f.name as string]);
        return u8aConcat(head, ...v.fields.map((f, i) => f.enc(values[i])));
      };
    }
    // BitSequence and the like: not in the simulator's values; polkadot-js encodes them.
    const type = this.registry.createLookupType(id as unknown as SiLookupTypeId);
    return (v) => this.registry.createType(type, v).toU8a();
  }
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  throw new Error(`not an integer: ${String(v)}`);
}

function le(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const WIDTH: Record<string, number> = {
  U8: 1,
  U16: 2,
  U32: 4,
  U64: 8,
  U128: 16,
  U256: 32,
  I8: 1,
  I16: 2,
  I32: 4,
  I64: 8,
  I128: 16,
};

function primitive(type: string, value: unknown): Uint8Array {
  if (type === 'Bool') return Uint8Array.of(value ? 1 : 0);
  if (type === 'Str') {
    const b = stringToU8a(String(value));
    return u8aConcat(compactToU8a(b.length), b);
  }
  const width = WIDTH[type];
  if (!width) throw new Error(`unsupported primitive ${type}`);
  let v = toBigInt(value);
  if (v < 0n) v += 1n << BigInt(width * 8);
  return le(v, width);
}

function toBytes(v: unknown): Uint8Array {
  if (isU8a(v)) return v;
  if (isHex(v)) return hexToU8a(v);
  if (typeof v === 'string') return stringToU8a(v);
  throw new Error(`not bytes: ${String(v)}`);
}

/** `[u8; len]`: hex, bytes, or (for 32 bytes) an SS58 address. */
function fixedBytes(v: unknown, len: number): Uint8Array {
  const bytes = typeof v === 'string' && !isHex(v) && len === 32 ? decodeAddress(v) : toBytes(v);
  if (bytes.length !== len) throw new Error(`expected ${len} bytes, got ${bytes.length}`);
  return bytes;
}
