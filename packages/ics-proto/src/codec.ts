import { BinaryReader, BinaryWriter } from 'cosmjs-types/binary';

/**
 * A protobuf message codec in the shape of cosmjs-types' generated ones (encode/decode/fromPartial), so messages
 * written here nest cosmjs-types messages (Timestamp, Height, PageRequest...) and vice versa.
 */
export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromPartial(partial: Partial<T>): T;
}

type Scalar = 'string' | 'bytes' | 'bool' | 'uint32' | 'int32' | 'int64' | 'uint64';
// biome-ignore lint/suspicious/noExplicitAny: a field may nest any message codec
type Kind = Scalar | Codec<any>;
/** [field number, property name, kind, repeated] */
export type Field = readonly [number, string, Kind, boolean?];

const WIRE: Record<Scalar, number> = {
  string: 2,
  bytes: 2,
  bool: 0,
  uint32: 0,
  int32: 0,
  int64: 0,
  uint64: 0,
};

const zero = (kind: Kind): unknown => {
  switch (kind) {
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array();
    case 'bool':
      return false;
    case 'uint32':
    case 'int32':
      return 0;
    case 'int64':
    case 'uint64':
      return 0n;
    default:
      return undefined;
  }
};

const isZero = (v: unknown) =>
  v === undefined ||
  v === null ||
  v === '' ||
  v === false ||
  v === 0 ||
  v === 0n ||
  (v instanceof Uint8Array && v.length === 0);

function writeScalar(w: BinaryWriter, kind: Scalar, v: unknown): void {
  switch (kind) {
    case 'string':
      w.string(v as string);
      break;
    case 'bytes':
      w.bytes(v as Uint8Array);
      break;
    case 'bool':
      w.bool(v as boolean);
      break;
    case 'uint32':
      w.uint32(v as number);
      break;
    case 'int32':
      w.int32(v as number);
      break;
    case 'int64':
      w.int64(v as bigint);
      break;
    case 'uint64':
      w.uint64(v as bigint);
      break;
  }
}

function readScalar(r: BinaryReader, kind: Scalar): unknown {
  switch (kind) {
    case 'string':
      return r.string();
    case 'bytes':
      return r.bytes();
    case 'bool':
      return r.bool();
    case 'uint32':
      return r.uint32();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uint64':
      return r.uint64();
  }
}

/** A codec from a field table, proto3 semantics: zero values are not written, unknown fields are skipped. */
export function message<T extends object>(fields: readonly Field[]): Codec<T> {
  const defaults = (): Record<string, unknown> =>
    Object.fromEntries(fields.map(([, name, kind, repeated]) => [name, repeated ? [] : zero(kind)]));
  const byNumber = new Map(fields.map((f) => [f[0], f]));
  const codec: Codec<T> = {
    encode(m, writer = BinaryWriter.create()) {
      const msg = m as Record<string, unknown>;
      for (const [no, name, kind, repeated] of fields) {
        const values = repeated ? ((msg[name] as unknown[] | undefined) ?? []) : [msg[name]];
        for (const v of values) {
          if (typeof kind === 'string') {
            if (!repeated && isZero(v)) continue;
            writeScalar(writer.uint32((no << 3) | WIRE[kind]), kind, v);
          } else if (v !== undefined && v !== null) {
            kind.encode(v, writer.uint32((no << 3) | 2).fork()).ldelim();
          }
        }
      }
      return writer;
    },
    decode(input, length) {
      const reader = input instanceof BinaryReader ? input : new BinaryReader(input);
      const end = length === undefined ? reader.len : reader.pos + length;
      const out = defaults();
      while (reader.pos < end) {
        const tag = reader.uint32();
        const field = byNumber.get(tag >>> 3);
        if (!field) {
          reader.skipType(tag & 7);
          continue;
        }
        const [, name, kind, repeated] = field;
        const value =
          typeof kind === 'string' ? readScalar(reader, kind) : kind.decode(reader, reader.uint32());
        if (repeated) (out[name] as unknown[]).push(value);
        else out[name] = value;
      }
      return out as T;
    },
    fromPartial(partial) {
      return { ...defaults(), ...partial } as T;
    },
  };
  return codec;
}
