/**
 * The decoders of the hot paths: the alerter's events, every notifier's notifications. Each checks the same contract
 * as its zod decoder in decoders.ts (JSON Schemas generated from the zod definitions, compiled once by Ajv, which
 * checks without copying) and asks zod only about a message that fails, so a dead letter carries the same
 * `path: reason` lines as everywhere else. Profiling showed zod was a fifth of the alerter's CPU, and 7 % of
 * notifier-webhook's.
 */
import {
  type EventDefinition,
  type EventEnvelope,
  type EventRegistry,
  eventEnvelope,
  mayHaveBadText,
  type Notification,
  notification,
  registry,
} from '@tocsin/events';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import traverse from 'json-schema-traverse';
import { z } from 'zod';
import type { Decoded } from './consumer.ts';
import { decodeEvent, decodeNotification, subjectIssue } from './decoders.ts';

const text = new TextDecoder('utf-8', { fatal: true });

/** A message that is not UTF-8, breaks the text policy (NUL, a lone surrogate) or is not JSON. */
const UNREADABLE = Symbol('unreadable');

/** The message's JSON value, or UNREADABLE (the zod decoders say why). */
function jsonOf(raw: Uint8Array): unknown {
  try {
    const json = text.decode(raw);
    return mayHaveBadText(json) ? UNREADABLE : JSON.parse(json);
  } catch {
    return UNREADABLE;
  }
}

interface DateTimeFormat {
  validate(s: string): boolean;
  compare(a: string, b: string): number | undefined;
}

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The two-digit number at `i`, or -1 when those are not two ASCII digits. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 0x30;
  const b = s.charCodeAt(i + 1) - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * True when `s` is a valid time in toISOString's form, `YYYY-MM-DDTHH:MM:SS.sssZ` (what every tocsin publisher
 * writes), checked by position; false says only that it is not in that form (the full RFC 3339 check decides). The
 * full check splits the string and runs two expressions: a microsecond for each event's observed_at, which no
 * memo catches (every event's is new).
 */
export function canonicalUtc(s: string): boolean {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 0x2d || // -
    s.charCodeAt(7) !== 0x2d ||
    s.charCodeAt(10) !== 0x54 || // T
    s.charCodeAt(13) !== 0x3a || // :
    s.charCodeAt(16) !== 0x3a ||
    s.charCodeAt(19) !== 0x2e || // .
    s.charCodeAt(23) !== 0x5a || // Z
    twoDigits(s, 20) < 0 ||
    twoDigits(s, 21) < 0
  )
    return false;
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const year = century * 100 + yy;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS[month]!);
}

/**
 * ajv-formats' RFC 3339 check, remembered per string: timestamps repeat across events (a client's last update in
 * every scan), and the check was a quarter of the decoding time. A time in toISOString's form is settled first
 * (canonicalUtc).
 */
function memoized(f: DateTimeFormat): {
  type: 'string';
  validate(s: string): boolean;
  compare: DateTimeFormat['compare'];
} {
  const seen = new Map<string, boolean>();
  return {
    type: 'string',
    compare: f.compare,
    validate(s) {
      if (canonicalUtc(s)) return true;
      let ok = seen.get(s);
      if (ok === undefined) {
        ok = f.validate(s);
        if (seen.size >= 4096) seen.clear();
        seen.set(s, ok);
      }
      return ok;
    },
  };
}

/** Ajv as the contract's schemas need it: formats (date-time remembered per string), defaults filled in. */
function contractAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, useDefaults: true, allErrors: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addFormat('date-time', memoized(fullFormats['date-time'] as DateTimeFormat));
  return ajv;
}

/**
 * A zod schema's input as a JSON Schema, compiled. `closed`: every object schema that names its properties refuses a
 * key it does not know (zod drops such keys where Ajv would keep them).
 */
function compiled(ajv: Ajv2020, schema: z.ZodType, closed = false): ValidateFunction {
  const json = z.toJSONSchema(schema, { io: 'input' });
  // (Every schema inside, as Ajv walks them: a property named like a keyword stays a property. The walk does not
  // know 2020-12's prefixItems, dependentSchemas or unevaluated*, which the contract's schemas do not use; the fuzz
  // of unknown keys at any depth would show it.)
  if (closed)
    traverse(json, (s) => {
      if ('properties' in s && !('additionalProperties' in s)) s.additionalProperties = false;
    });
  return ajv.compile(json);
}

/**
 * The decoder of the alerter's hot path. Given the subject, it also checks that the subject agrees with the
 * envelope's source and type, as `decodeEvent` does.
 */
export function fastEventDecoder(
  reg: EventRegistry = registry,
): (raw: Uint8Array, subject?: string) => Decoded<EventEnvelope> {
  const ajv = contractAjv();
  const envelope = compiled(ajv, eventEnvelope);
  const data = new Map<EventDefinition, ValidateFunction>();
  const explain = decodeEvent(reg);
  const valid = (raw: Uint8Array): Decoded<EventEnvelope> => {
    const v = jsonOf(raw) as EventEnvelope | typeof UNREADABLE;
    if (v === UNREADABLE || !envelope(v)) return explain(raw);
    const def = reg.get(v.source, v.type);
    if (!def) return { ok: true, value: v };
    if (v.version !== def.version) return explain(raw);
    let check = data.get(def);
    if (!check) {
      check = compiled(ajv, def.data);
      data.set(def, check);
    }
    return check(v.data) ? { ok: true, value: v } : explain(raw);
  };
  // The subject an event of the last source and type seen must end with (events come in runs of one type).
  let last = { source: '', type: '', tail: '' };
  return (raw, subject) => {
    const d = valid(raw);
    if (!d.ok || subject === undefined) return d;
    const { source, type } = d.value;
    if (source !== last.source || type !== last.type)
      last = { source, type, tail: `events.${source}.${type}` };
    // subjectIssue's verdict without splitting the subject: it ends with `events.<source>.<type>`, after a dot or
    // as the whole subject (the envelope's schema allows no dot in either name, so these are its last three tokens).
    const tail = last.tail;
    if (
      subject.endsWith(tail) &&
      (subject.length === tail.length || subject.charCodeAt(subject.length - tail.length - 1) === DOT)
    )
      return d;
    const issue = subjectIssue(subject, d.value);
    return issue ? { ok: false, issues: [issue] } : d;
  };
}
const DOT = 0x2e;

/**
 * The notifiers' decoder of the alerts stream. zod drops the keys the contract does not know (a newer alerter's
 * additions) where Ajv would keep them, so the compiled schema refuses them, and such a message, like every one that
 * fails, gets zod's answer: the same value or the same issues as `decodeNotification`.
 */
export function fastNotificationDecoder(
  /** Told of each message the compiled schema did not settle (zod answers it). */
  onZod?: () => void,
): (raw: Uint8Array) => Decoded<Notification> {
  const check = compiled(contractAjv(), notification, true);
  const explain = (raw: Uint8Array) => {
    onZod?.();
    return decodeNotification(raw);
  };
  return (raw) => {
    const v = jsonOf(raw) as Notification | typeof UNREADABLE;
    return v !== UNREADABLE && check(v) ? { ok: true, value: v } : explain(raw);
  };
}
