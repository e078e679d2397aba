import type { Registry } from '@polkadot/types/types';

/**
 * Walks SCALE bytes by the metadata's portable types without building codec objects: where a value ends, so a
 * block's parts that no check reads (fee and success events, …) are passed over instead of decoded. A type the
 * walker does not know throws, and the caller decodes the whole part with polkadot-js as before.
 */
export type Skip = (b: Uint8Array, at: number) => number;

const PRIMITIVE: Record<string, number> = {
  Bool: 1,
  Char: 4,
  U8: 1,
  I8: 1,
  U16: 2,
  I16: 2,
  U32: 4,
  I32: 4,
  U64: 8,
  I64: 8,
  U128: 16,
  I128: 16,
  U256: 32,
  I256: 32,
};

/** A SCALE compact integer at `at`: its value (lengths are small) and the offset after it. */
export function compactAt(b: Uint8Array, at: number): [number, number] {
  const first = b[at];
  if (first === undefined) throw new Error(`SCALE data ends at ${at}`);
  const mode = first & 3;
  if (mode === 0) return [first >> 2, at + 1];
  if (mode === 1) return [(first | (b[at + 1]! << 8)) >>> 2, at + 2];
  if (mode === 2)
    return [(first | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 2, at + 4];
  const bytes = (first >> 2) + 4;
  let v = 0;
  for (let i = bytes - 1; i >= 0; i--) v = v * 256 + b[at + 1 + i]!;
  return [v, at + 1 + bytes];
}

function checked(b: Uint8Array, at: number): number {
  if (at > b.length) throw new Error(`SCALE data ends before ${at}`);
  return at;
}

// biome-ignore lint/suspicious/noExplicitAny: the portable registry's type definitions (Si1TypeDef)
type Def = any;

/** Skip functions by type id, built on first use. */
export class Skipper {
  readonly #fns = new Map<number, Skip>();
  constructor(readonly registry: Registry) {}

  /** The portable type definition of a type id. */
  def(id: number): Def {
    return this.registry.lookup.getSiType(id).def;
  }

  of(id: number): Skip {
    const fn = this.#fns.get(id);
    if (fn) return fn;
    // Recursive types refer to themselves: the entry exists (looking up the built one) before it is built.
    this.#fns.set(id, (b, at) => this.#fns.get(id)!(b, at));
    const built = this.#build(id);
    this.#fns.set(id, built);
    return built;
  }

  #seq(fns: Skip[]): Skip {
    if (fns.length === 1) return fns[0]!;
    return (b, at) => {
      for (const f of fns) at = f(b, at);
      return at;
    };
  }

  #build(id: number): Skip {
    const d = this.def(id);
    if (d.isComposite) return this.#seq(d.asComposite.fields.map((f: Def) => this.of(f.type.toNumber())));
    if (d.isVariant) {
      const byIndex = new Map<number, Skip>();
      for (const v of d.asVariant.variants)
        byIndex.set(v.index.toNumber(), this.#seq(v.fields.map((f: Def) => this.of(f.type.toNumber()))));
      return (b, at) => {
        const fn = byIndex.get(b[at]!);
        if (!fn) throw new Error(`no variant ${b[at]} in type ${id}`);
        return fn(b, at + 1);
      };
    }
    if (d.isSequence) {
      const inner = this.of(d.asSequence.type.toNumber());
      const fixed = this.#fixedSize(d.asSequence.type.toNumber());
      return (b, at) => {
        const [n, start] = compactAt(b, at);
        if (fixed !== null) return checked(b, start + n * fixed);
        let p = start;
        for (let i = 0; i < n; i++) p = inner(b, p);
        return p;
      };
    }
    if (d.isArray) {
      const len = d.asArray.len.toNumber();
      const fixed = this.#fixedSize(d.asArray.type.toNumber());
      if (fixed !== null) return (b, at) => checked(b, at + len * fixed);
      const inner = this.of(d.asArray.type.toNumber());
      return (b, at) => {
        for (let i = 0; i < len; i++) at = inner(b, at);
        return at;
      };
    }
    if (d.isTuple) return this.#seq(d.asTuple.map((t: Def) => this.of(t.toNumber())));
    if (d.isPrimitive) {
      const name = d.asPrimitive.type as string;
      if (name === 'Str')
        return (b, at) => {
          const [n, start] = compactAt(b, at);
          return checked(b, start + n);
        };
      const size = PRIMITIVE[name];
      if (size === undefined) throw new Error(`unknown primitive ${name}`);
      return (b, at) => checked(b, at + size);
    }
    if (d.isCompact) return (b, at) => checked(b, compactAt(b, at)[1]);
    if (d.isBitSequence) {
      const store = this.#fixedSize(d.asBitSequence.bitStoreType.toNumber()) ?? 1;
      return (b, at) => {
        const [bits, start] = compactAt(b, at);
        return checked(b, start + Math.ceil(bits / (store * 8)) * store);
      };
    }
    throw new Error(`type ${id} cannot be walked (${d.type})`);
  }

  /** The encoded size of a type when it is fixed (bytes, accounts, hashes), else null. */
  #fixedSize(id: number): number | null {
    const d = this.def(id);
    if (d.isPrimitive) return d.asPrimitive.type === 'Str' ? null : (PRIMITIVE[d.asPrimitive.type] ?? null);
    if (d.isArray) {
      const inner = this.#fixedSize(d.asArray.type.toNumber());
      return inner === null ? null : inner * d.asArray.len.toNumber();
    }
    if (d.isComposite) {
      let sum = 0;
      for (const f of d.asComposite.fields) {
        const s = this.#fixedSize(f.type.toNumber());
        if (s === null) return null;
        sum += s;
      }
      return sum;
    }
    if (d.isTuple) {
      let sum = 0;
      for (const t of d.asTuple) {
        const s = this.#fixedSize(t.toNumber());
        if (s === null) return null;
        sum += s;
      }
      return sum;
    }
    return null;
  }
}
