import { GenericAccountId } from '@polkadot/types';
import type { Registry } from '@polkadot/types/types';
import { hexToU8a, stringCamelCase, u8aToHex } from '@polkadot/util';
import type { RawBlock } from './connections.ts';
import { compactAt, type Skip, Skipper } from './scaleSkip.ts';

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
  /** The events the checks read (`wanted`), each with its index among all the block's events. */
  events: DecodedEvent[] | null;
  /** How many events the block has in all (null when they could not be decoded). */
  eventCount: number | null;
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
/** What is built once per registry (runtime): codec classes and the layout of `System.Events`. */
interface PerRegistry {
  extrinsic: CodecClass;
  events: CodecClass;
  record: CodecClass;
  /** Skips of an event record's fields (phase, event, topics), or the reason the walk cannot be used. */
  walk: { phase: Skip; event: Skip; topics: Skip } | string;
  /** `pallet index << 8 | event index` → section and method, as polkadot-js names them. */
  names: Map<number, { section: string; method: string }>;
  call: CodecClass;
  /** Skips of a signed v4 extrinsic's address, signature and extensions, or the reason they cannot be used. */
  signed: { address: Skip; signature: Skip; extra: Skip } | string;
}
const perRegistry = new WeakMap<Registry, PerRegistry>();

function recordWalk(registry: Registry, names: PerRegistry['names']): PerRegistry['walk'] {
  try {
    const system = registry.metadata.pallets.find((p) => p.name.eq('System'));
    const item = system?.storage.unwrapOr(null)?.items.find((i) => i.name.eq('Events'));
    if (!item?.type.isPlain) return 'no plain System.Events storage item';
    const skipper = new Skipper(registry);
    const vec = skipper.def(item.type.asPlain.toNumber());
    if (!vec.isSequence) return 'System.Events is not a sequence';
    const record = skipper.def(vec.asSequence.type.toNumber());
    const fields = record.isComposite ? record.asComposite.fields : [];
    // biome-ignore lint/suspicious/noExplicitAny: Si1Field
    const byName = (n: string) => fields.find((f: any) => f.name.unwrapOr('').toString() === n);
    const [phase, event, topics] = [byName('phase'), byName('event'), byName('topics')];
    if (fields.length !== 3 || !phase || !event || !topics)
      return 'EventRecord is not {phase, event, topics}';
    const phaseDef = skipper.def(phase.type.toNumber());
    const apply = phaseDef.isVariant
      ? // biome-ignore lint/suspicious/noExplicitAny: Si1Variant
        phaseDef.asVariant.variants.find((v: any) => v.index.toNumber() === 0)
      : undefined;
    if (apply?.name.toString() !== 'ApplyExtrinsic') return 'Phase variant 0 is not ApplyExtrinsic';
    const runtimeEvent = skipper.def(event.type.toNumber());
    if (!runtimeEvent.isVariant) return 'RuntimeEvent is not an enum';
    for (const pallet of runtimeEvent.asVariant.variants) {
      const inner = pallet.fields[0] ? skipper.def(pallet.fields[0].type.toNumber()) : null;
      if (!inner?.isVariant) continue;
      const section = stringCamelCase(pallet.name.toString());
      for (const v of inner.asVariant.variants)
        names.set((pallet.index.toNumber() << 8) | v.index.toNumber(), {
          section,
          method: v.name.toString(),
        });
    }
    return {
      phase: skipper.of(phase.type.toNumber()),
      event: skipper.of(event.type.toNumber()),
      topics: skipper.of(topics.type.toNumber()),
    };
  } catch (err) {
    return (err as Error).message;
  }
}

function signedWalk(registry: Registry): PerRegistry['signed'] {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: ExtrinsicMetadataLatest (v16 shape: extensions by version)
    const x = registry.metadata.extrinsic as any;
    const skipper = new Skipper(registry);
    // The map's keys are u8 codecs: found by value, not by `get(4)`.
    const byVersion: [{ toNumber(): number }, { toNumber(): number }[]][] = [
      ...(x.transactionExtensionsByVersion?.entries?.() ?? []),
    ];
    const v4 = byVersion.find(([k]) => k.toNumber() === 4)?.[1];
    if (!x.addressType || !x.signatureType || !v4) return 'no v4 extrinsic layout in the metadata';
    const exts = x.transactionExtensions.toArray();
    const extra = v4.map((i) => skipper.of(exts[i.toNumber()].type.toNumber()));
    return {
      address: skipper.of(x.addressType.toNumber()),
      signature: skipper.of(x.signatureType.toNumber()),
      extra: (b, at) => {
        for (const f of extra) at = f(b, at);
        return at;
      },
    };
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * A v4 extrinsic whose signer (if any) is a `MultiAddress::Id`, read by the metadata's types with only the call
 * decoded by polkadot-js; null for anything else (decoded whole, as polkadot-js does).
 */
function fastExtrinsic(
  c: PerRegistry,
  registry: Registry,
  hex: string,
): { signer: string | null; call: DecodedCall } | null {
  const b = hexToU8a(hex);
  let at = compactAt(b, 0)[1];
  const version = b[at++];
  let signer: string | null = null;
  if (version === 0x84) {
    if (typeof c.signed === 'string' || b[at] !== 0) return null;
    const id = b.subarray(at + 1, at + 33);
    at = c.signed.address(b, at);
    if (at !== id.byteOffset - b.byteOffset + 32) return null;
    signer = accountSs58(registry, id);
    at = c.signed.extra(b, c.signed.signature(b, at));
  } else if (version !== 0x04) return null;
  if (at >= b.length) return null;
  const call = new c.call(registry, b.subarray(at));
  if (call.encodedLength !== b.length - at) return null;
  return { signer, call: callOf(call) };
}

function accountSs58(registry: Registry, id: Uint8Array): string {
  const hex = u8aToHex(id);
  let s = ss58.get(hex);
  if (s === undefined) {
    s = registry.createType('AccountId', id).toString();
    if (ss58.size >= SS58_KEPT) ss58.clear();
    ss58.set(hex, s);
  }
  return s;
}

function perRegistryOf(registry: Registry): PerRegistry {
  let c = perRegistry.get(registry);
  if (!c) {
    const names: PerRegistry['names'] = new Map();
    c = {
      extrinsic: registry.createClass('Extrinsic') as unknown as CodecClass,
      events: registry.createClass('Vec<EventRecord>') as unknown as CodecClass,
      record: registry.createClass('EventRecord') as unknown as CodecClass,
      walk: recordWalk(registry, names),
      names,
      call: registry.createClass('Call') as unknown as CodecClass,
      signed: signedWalk(registry),
    };
    perRegistry.set(registry, c);
  }
  return c;
}

/** Which events the checks read, by section and method. */
export type EventFilter = (section: string, method: string) => boolean;

// biome-ignore lint/suspicious/noExplicitAny: dynamic codec
function eventOf(r: any, index: number): DecodedEvent {
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
}

/**
 * The wanted events of a block and how many there are: each record is walked by the metadata's types (no codec
 * objects) and only the wanted ones are decoded by polkadot-js; when the walk cannot be used or fails, all
 * records are decoded as one `Vec<EventRecord>` and filtered.
 */
function decodeEvents(c: PerRegistry, registry: Registry, hex: string, wanted: EventFilter) {
  if (typeof c.walk !== 'string') {
    const w = c.walk;
    try {
      const b = hexToU8a(hex);
      const [n, first] = compactAt(b, 0);
      const out: DecodedEvent[] = [];
      let at = first;
      for (let index = 0; index < n; index++) {
        const start = at;
        at = w.phase(b, at);
        const name = c.names.get((b[at]! << 8) | b[at + 1]!);
        at = w.topics(b, w.event(b, at));
        if (at > b.length) throw new Error('event record runs past the end');
        if (!name || wanted(name.section, name.method))
          out.push(eventOf(new c.record(registry, b.subarray(start, at)), index));
      }
      if (at === b.length) return { events: out, count: n };
    } catch {
      // decoded below, the way that names the failure
    }
  }
  const records: unknown[] = new c.events(registry, hex);
  const events = records.map(eventOf).filter((e) => wanted(e.section, e.method));
  return { events, count: records.length };
}

export function decodeBlock(
  registry: Registry,
  raw: RawBlock,
  eventsHex: string | null,
  wanted: EventFilter = () => true,
): DecodedBlock {
  const cls = perRegistryOf(registry);
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
      let fast: { signer: string | null; call: DecodedCall } | null = null;
      try {
        fast = fastExtrinsic(cls, registry, hex);
      } catch {
        // decoded whole below, the way that names the failure
      }
      if (!fast) {
        const ex = new cls.extrinsic(registry, hex);
        fast = { signer: ex.isSigned ? signerOf(ex.signer) : null, call: callOf(ex.method) };
      }
      const { call, signer } = fast;
      if (call.section === 'timestamp' && call.method === 'set') timestampMs = Number(call.args.now);
      extrinsics.push({ index, signer, call });
    } catch (err) {
      failures.push({ part: 'extrinsic', index, reason: short(err) });
    }
  });
  let events: DecodedEvent[] | null = null;
  let eventCount: number | null = null;
  if (eventsHex) {
    try {
      const r = decodeEvents(cls, registry, eventsHex, wanted);
      events = r.events;
      eventCount = r.count;
    } catch (err) {
      failures.push({ part: 'events', index: null, reason: short(err) });
    }
  }
  return {
    slot,
    timestampMs,
    extrinsics,
    extrinsicCount: raw.extrinsics.length,
    events,
    eventCount,
    failures,
  };
}

function short(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > 500 ? `${m.slice(0, 497)}...` : m;
}
