import { GenericAccountId } from '@polkadot/types';
import type { Registry } from '@polkadot/types/types';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import type { RawBlock } from './connections.ts';

/** `System.Events` storage key. */
export const SYSTEM_EVENTS_KEY = '0x26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7';
/** `*b"SUB_"`, the Subspace consensus engine id. */
const SUBSPACE_ENGINE = '0x5355425f';

export interface DecodedCall {
  section: string;
  method: string;
  /** Arguments by (camelCase) name, as JSON (accounts as SS58 strings, balances as strings or numbers). */
  args: Record<string, unknown>;
  /** Calls dispatched inside it (sudo, utility.batch, ...), decoded the same way. */
  inner: DecodedCall[];
}

export interface DecodedExtrinsic {
  index: number;
  signer: string | null;
  call: DecodedCall;
}

export interface DecodedEvent {
  index: number;
  /** The extrinsic that emitted it (ApplyExtrinsic phase), or null (initialization / finalization). */
  extrinsic: number | null;
  section: string;
  method: string;
  data: Record<string, unknown>;
}

export interface DecodeFailure {
  part: 'extrinsic' | 'events' | 'header';
  index: number | null;
  reason: string;
}

export interface DecodedBlock {
  slot: number | null;
  timestampMs: number | null;
  extrinsics: DecodedExtrinsic[];
  extrinsicCount: number;
  events: DecodedEvent[] | null;
  failures: DecodeFailure[];
}

/** The slot from the pre-runtime digest: `PreRuntime(SUB_, 0x00 ‖ slot u64 LE ‖ …)` (PROTOCOLS.md §4.1). */
export function slotFromLogs(logs: string[]): number | null {
  for (const log of logs) {
    const b = hexToU8a(log);
    // 0x06 PreRuntime, 4-byte engine id, compact length, data
    if (b[0] !== 6 || u8aToHex(b.subarray(1, 5)) !== SUBSPACE_ENGINE) continue;
    const mode = b[5]! & 3;
    const skip = mode === 0 ? 1 : mode === 1 ? 2 : mode === 2 ? 4 : 0;
    if (!skip) continue;
    const data = b.subarray(5 + skip);
    if (data.length < 9 || data[0] !== 0) continue;
    return Number(new DataView(data.buffer, data.byteOffset + 1, 8).getBigUint64(0, true));
  }
  return null;
}

/** SS58 forms of accounts seen lately: the same accounts (farmers, payers) come back block after block. */
const ss58 = new Map<string, string>();
const SS58_KEPT = 10_000;

/** A codec value as JSON; an account (the most frequent argument) through the SS58 cache. */
// biome-ignore lint/suspicious/noExplicitAny: polkadot-js codec objects are dynamically shaped
function jsonOf(v: any): unknown {
  if (!(v instanceof GenericAccountId)) return v.toJSON();
  const hex = v.toHex();
  let s = ss58.get(hex);
  if (s === undefined) {
    s = v.toString();
    if (ss58.size >= SS58_KEPT) ss58.clear();
    ss58.set(hex, s);
  }
  return s;
}

/** The signer as SS58 (a MultiAddress::Id through the cache, anything else as polkadot-js prints it). */
// biome-ignore lint/suspicious/noExplicitAny: dynamic codec
function signerOf(a: any): string {
  if (a instanceof GenericAccountId) return jsonOf(a) as string;
  if (a.isId) return jsonOf(a.asId) as string;
  return a.toString();
}

function camel(s: string): string {
  return s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A polkadot-js Call (or anything with section/method/args) as plain data, nested calls included. */
// biome-ignore lint/suspicious/noExplicitAny: polkadot-js codec objects are dynamically shaped
function callOf(call: any): DecodedCall {
  const args: Record<string, unknown> = {};
  const inner: DecodedCall[] = [];
  const names: string[] = call.meta.args.map((a: { name: { toString(): string } }) =>
    camel(a.name.toString()),
  );
  // biome-ignore lint/suspicious/noExplicitAny: dynamic codec
  call.args.forEach((a: any, i: number) => {
    const name = names[i] ?? String(i);
    const type = a.toRawType?.() ?? '';
    if (type === 'Call' || a.section !== undefined) inner.push(callOf(a));
    else if (Array.isArray(a) && a.length && a[0]?.section !== undefined)
      for (const c of a) inner.push(callOf(c));
    else args[name] = jsonOf(a);
  });
  return { section: call.section, method: call.method, args, inner };
}

/**
 * Decodes a block with the registry in use. Each extrinsic is decoded on its own and the events separately: what
 * does not decode (metadata mismatch) is a failure with its index, and the rest of the block still counts.
 */
// biome-ignore lint/suspicious/noExplicitAny: codec classes built from the metadata
type CodecClass = new (registry: Registry, value: unknown) => any;
/** The classes per registry, built once: `createType` with a type name resolves it again on every call. */
const classes = new WeakMap<Registry, { extrinsic: CodecClass; events: CodecClass }>();
function classesOf(registry: Registry) {
  let c = classes.get(registry);
  if (!c) {
    c = {
      extrinsic: registry.createClass('Extrinsic') as unknown as CodecClass,
      events: registry.createClass('Vec<EventRecord>') as unknown as CodecClass,
    };
    classes.set(registry, c);
  }
  return c;
}

export function decodeBlock(registry: Registry, raw: RawBlock, eventsHex: string | null): DecodedBlock {
  const cls = classesOf(registry);
  const failures: DecodeFailure[] = [];
  const logs = ((raw.header.digest as { logs?: string[] } | undefined)?.logs ?? []) as string[];
  let slot: number | null = null;
  try {
    slot = slotFromLogs(logs);
  } catch (err) {
    failures.push({ part: 'header', index: null, reason: (err as Error).message });
  }
  const extrinsics: DecodedExtrinsic[] = [];
  let timestampMs: number | null = null;
  raw.extrinsics.forEach((hex, index) => {
    try {
      const ex = new cls.extrinsic(registry, hex);
      const call = callOf(ex.method);
      if (call.section === 'timestamp' && call.method === 'set') timestampMs = Number(call.args.now);
      extrinsics.push({ index, signer: ex.isSigned ? signerOf(ex.signer) : null, call });
    } catch (err) {
      failures.push({ part: 'extrinsic', index, reason: short(err) });
    }
  });
  let events: DecodedEvent[] | null = null;
  if (eventsHex) {
    try {
      const records: unknown[] = new cls.events(registry, eventsHex);
      // biome-ignore lint/suspicious/noExplicitAny: dynamic codec
      events = records.map((r: any, index) => {
        const names: string[] = (r.event.data.names ?? []).map((n: string) => camel(n));
        const data: Record<string, unknown> = {};
        // biome-ignore lint/suspicious/noExplicitAny: dynamic codec
        r.event.data.forEach((v: any, i: number) => {
          data[names[i] ?? String(i)] = jsonOf(v);
        });
        return {
          index,
          extrinsic: r.phase.isApplyExtrinsic ? r.phase.asApplyExtrinsic.toNumber() : null,
          section: r.event.section,
          method: r.event.method,
          data,
        };
      });
    } catch (err) {
      failures.push({ part: 'events', index: null, reason: short(err) });
    }
  }
  return { slot, timestampMs, extrinsics, extrinsicCount: raw.extrinsics.length, events, failures };
}

function short(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > 500 ? `${m.slice(0, 497)}...` : m;
}
