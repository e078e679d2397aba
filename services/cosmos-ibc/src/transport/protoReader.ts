import { utf8Read } from 'cosmjs-types/utf8';
import { EndpointFailure } from './endpointFailure.ts';

/**
 * A minimal protobuf reader for the few answers a scan decodes thousands of times. The cosmjs-types decoders
 * build every field of every nested message (proof specs, connection versions, …) and decode every string one
 * character at a time; a scan needs a handful of fields. This reader moves through the bytes exactly as the
 * cosmjs-types `BinaryReader` does (same varints, same bounds: the buffer's end, nested lengths only end a
 * message's loop), so a decoder built on it reads the same values; fields the scan does not use are stepped over
 * by their declared type instead of being decoded. Reading past the end, an overlong varint or wire type 4, 6 or
 * 7 where a field is skipped is an `EndpointFailure` of kind `decode`.
 */
export class ProtoReader {
  pos = 0;
  readonly len: number;

  constructor(private readonly buf: Uint8Array) {
    this.len = buf.length;
  }

  /** A varint as an unsigned 32-bit number (tags, lengths, enums; higher bits of a longer varint dropped). */
  varint32(): number {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.len) throw malformed(`truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      if (i < 5) value |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return value >>> 0;
    }
    throw malformed(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** A varint as an unsigned 64-bit integer (uint64). */
  uint64(): bigint {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.len) throw malformed(`truncated varint at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
    throw malformed(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  /** A varint as a signed 64-bit integer (int64, two's complement). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /** A varint as a signed 32-bit integer (int32: its low 32 bits, as protobuf reads it). */
  int32(): number {
    return this.varint32() | 0;
  }

  /** The end offset of a nested message whose length comes next. */
  nestedEnd(): number {
    const n = this.varint32();
    return this.pos + n;
  }

  bytes(): Uint8Array {
    const start = this.skipDelimited();
    return this.buf.subarray(start, this.pos);
  }

  /** ASCII (ids, type URLs, statuses) natively; anything else exactly as the cosmjs-types decoder reads it. */
  string(): string {
    const start = this.skipDelimited();
    const end = this.pos;
    for (let i = start; i < end; i++)
      if (this.buf[i]! >= 0x80) return utf8Read(this.buf.subarray(start, end), 0, end - start);
    return start === end ? '' : ascii.decode(this.buf.subarray(start, end));
  }

  /** Steps over a length-delimited field (bytes, string or message) and returns where its content starts. */
  skipDelimited(): number {
    const n = this.varint32();
    const start = this.pos;
    if (n > this.len - start) throw malformed(`length ${n} past the end at offset ${start}`);
    this.pos = start + n;
    return start;
  }

  /** Steps over an unknown field by its wire type. */
  skipType(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint32();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.skipDelimited();
        return;
      case 3:
        // A group: fields up to the end-group key.
        for (let t = this.varint32() & 7; t !== 4; t = this.varint32() & 7) this.skipType(t);
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw malformed(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (n > this.len - this.pos) throw malformed(`${n} bytes past the end at offset ${this.pos}`);
    this.pos += n;
  }
}

/** Only ever given bytes below 0x80, where latin1 and UTF-8 agree. */
const ascii = new TextDecoder('latin1');

function malformed(what: string): EndpointFailure {
  return new EndpointFailure('decode', `invalid protobuf: ${what}`);
}
