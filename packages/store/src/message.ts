import { JsonList, Strings } from './jsonLiterals.ts';

/** The type `text` (its pg_type OID), of textArray's elements. */
const TEXT_OID = 25;

/** What JSON.stringify would escape otherwise than an array literal does (`\n` where the literal needs the byte). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const UNPLAIN = /[\u0000-\u001f\ud800-\udfff]/;

/** The tag of dollar-quoted literals: inside `$tq$…$tq$` no character is special. */
const TAG = '$tq$';

/** Elements of an array literal written per JSON.stringify call (no string of a whole column of payloads). */
const SLICE = 64;

/** Text gathered before it is written: one write per this many characters, not one per piece (a call each). */
const CHUNK = 32_768;

/** A piece at least this long is written at once (not held, see Message.put). */
const BIG = 1024;

/** v's texts: an array's elements (JSON each), a Strings' or a JsonList's, or v's JSON. */
export function textsOf(v: unknown): readonly (string | null)[] {
  if (v instanceof Strings || v instanceof JsonList) return v.of();
  // (As JSON.stringify writes an array's undefined, function or symbol elements.)
  if (Array.isArray(v)) return v.map((e) => JSON.stringify(e) ?? 'null');
  return [JSON.stringify(v) ?? 'null'];
}

/** The protocol messages being built (a Query, or extended-protocol statements); its buffer is reused. */
export class Message {
  buf: Buffer;
  at = 0;
  #held = '';

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Room for `n` more bytes. */
  #room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.at + n, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** A big-endian integer of `bytes` bytes (2 or 4) at the end, after the text held. */
  int(v: number, bytes: 2 | 4): void {
    this.#flush();
    this.#room(bytes);
    if (bytes === 2) this.buf.writeInt16BE(v, this.at);
    else this.buf.writeInt32BE(v, this.at);
    this.at += bytes;
  }

  /** Starts a length-prefixed part (a protocol message's body, a parameter's value): its length's position. */
  open(): number {
    this.int(0, 4);
    return this.at - 4;
  }

  /** Ends the part opened at `pos`: its length, counted from `pos` (with the length itself, as messages count it). */
  close(pos: number, withLength = true): void {
    this.#flush();
    this.buf.writeInt32BE(this.at - pos - (withLength ? 0 : 4), pos);
  }

  /** A protocol message: its type, its length, then what `body` writes. */
  message(type: string, body: () => void): void {
    this.put(type);
    const at = this.open();
    body();
    this.close(at);
  }

  /** Adds `s` (SQL text, or a literal's text). */
  put(s: string): void {
    if (s.length >= BIG) {
      // Written as it is: held, it would be copied once more as the text held is joined (flattened) to be written.
      this.#flush();
      this.#write(s);
      return;
    }
    this.#held += s;
    if (this.#held.length >= CHUNK) this.#flush();
  }

  /** Writes the text held as UTF-8. */
  #flush(): void {
    const s = this.#held;
    if (!s) return;
    this.#held = '';
    this.#write(s);
  }

  #write(s: string): void {
    // (At most 3 bytes of UTF-8 per UTF-16 unit.)
    this.#room(s.length * 3 + 1);
    this.at += this.buf.write(s, this.at);
  }

  /** Writes text inside a literal: as it is in a dollar-quoted one; in an E'' one, quotes and backslashes doubled. */
  text(s: string, dollar: boolean): void {
    if (!dollar) {
      if (s.includes("'")) s = s.replaceAll("'", "''");
      if (s.includes('\\')) s = s.replaceAll('\\', '\\\\');
    }
    this.put(s);
  }

  /** An array literal's element, quoted (`\` and `"` escaped), inside the literal (see text). */
  element(s: string | null, dollar: boolean): void {
    if (s === null) {
      this.put('NULL');
      return;
    }
    if (s.includes('\\')) s = s.replaceAll('\\', '\\\\');
    if (s.includes('"')) s = s.replaceAll('"', '\\"');
    this.text(`"${s}"`, dollar);
  }

  /**
   * An array literal of strings. JSON.stringify quotes and escapes a string as the literal does (`"` and `\`) unless
   * it holds a control character or a lone surrogate, and writes null as the literal's (case-insensitive) NULL: the
   * elements go a slice at a time through it, one at a time only when one of them is not plain.
   */
  array(values: readonly (string | null)[], plain: boolean, dollar: boolean): void {
    this.put('{');
    if (plain || values.every((s) => s === null || !UNPLAIN.test(s)))
      for (let i = 0; i < values.length; i += SLICE) {
        if (i) this.put(',');
        this.text(JSON.stringify(values.slice(i, i + SLICE)).slice(1, -1), dollar);
      }
    else
      for (let i = 0; i < values.length; i++) {
        if (i) this.put(',');
        this.element(values[i]!, dollar);
      }
    this.put('}');
  }

  /**
   * v's JSON (an array's an element at a time: no string of the whole array) as a string literal: dollar-quoted
   * (`$tq$…$tq$`: nothing inside is escaped, no copy of the text is made) unless some text holds the tag, then as an
   * E'' literal. (The texts are JSON or an array literal: none ends with `$tq`, the tag's part that would meet the
   * closing tag.)
   */
  literal(v: unknown): void {
    const values = textsOf(v);
    const dollar = !values.some((s) => s?.includes(TAG));
    this.put(dollar ? ` ${TAG}` : " E'");
    this.value(v, values, dollar);
    this.put(dollar ? TAG : "'");
  }

  /** v's text (its texts: textsOf), as it is inside a dollar-quoted literal or a parameter (`dollar`), or an E'' one. */
  value(v: unknown, values: readonly (string | null)[], dollar = true): void {
    if (v instanceof Strings) this.array(values, v.plain, dollar);
    else if (Array.isArray(v) || v instanceof JsonList) {
      this.put('[');
      for (let i = 0; i < values.length; i++) {
        if (i) this.put(',');
        this.text(values[i]!, dollar);
      }
      this.put(']');
    } else this.text(values[0]!, dollar);
  }

  /**
   * An array of strings as a `text[]` in the binary format (a Bind's parameter, see extendedQuery): each element's
   * length, then its UTF-8 bytes as they are. Nothing is quoted or escaped, and no string is built for it (in the
   * text format, an array literal: JSON.stringify of each slice, a copy of the column, which the server lexed).
   */
  textArray(values: readonly (string | null)[]): void {
    // Dimensions (an empty array has none), whether any element is NULL, the elements' type (text).
    this.int(values.length ? 1 : 0, 4);
    this.int(values.includes(null) ? 1 : 0, 4);
    this.int(TEXT_OID, 4);
    if (!values.length) return;
    // The one dimension: its length and its lower bound.
    this.int(values.length, 4);
    this.int(1, 4);
    for (const s of values) {
      if (s === null) {
        this.int(-1, 4);
        continue;
      }
      const at = this.open();
      this.#write(s);
      this.close(at, false);
    }
  }

  /** The messages written. */
  bytes(): Buffer {
    this.#flush();
    return this.buf.subarray(0, this.at);
  }
}
