import { allEvents, newId } from '@tocsin/events';
import { notificationFixture } from '@tocsin/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastNotificationDecoder } from '../src/compiledDecoders.ts';
import type { Decoded } from '../src/consumer.ts';
import { decodeEvent, decodeNotification } from '../src/decoders.ts';

/**
 * Fuzzing (fast-check, 1,000 cases a property) of what arrives on every consumed subject: events (the alerter's
 * consumer) and notifications (every notifier's). A decoder never throws: it gives a value, or issues that each
 * name the field (`path: message`, `(root)` for the message itself), which go to the dead-letter stream.
 */

const RUNS = 1000;
const enc = new TextEncoder();
const decodeEvents = decodeEvent();
// `(root)` or a path from a top-level field (keys below it, e.g. label names, may be any string), then the message.
const ISSUE = /^(\(root\)|[a-z_]+(\..*)?): \S/s;

function checkDecoded(d: Decoded<unknown>): void {
  if (d.ok) return;
  expect(d.issues.length).toBeGreaterThan(0);
  for (const issue of d.issues) expect(issue).toMatch(ISSUE);
}

/** A valid value with one field (at any depth) replaced by `value`, or removed when `value` is undefined. */
function mutate(valid: unknown, pick: number, value: unknown): unknown {
  const copy = structuredClone(valid) as Record<string, unknown>;
  const paths: (string | number)[][] = [];
  const walk = (o: unknown, at: (string | number)[]) => {
    if (o === null || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      const key = Array.isArray(o) ? Number(k) : k;
      paths.push([...at, key]);
      walk(v, [...at, key]);
    }
  };
  walk(copy, []);
  if (!paths.length) return value;
  const path = paths[pick % paths.length]!;
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  if (value === undefined) delete parent[path.at(-1)!];
  else parent[path.at(-1)!] = value;
  return copy;
}

const envelopes = allEvents.map((def) => ({
  id: newId(),
  source: def.source,
  type: def.type,
  version: def.version,
  chain_id: 'cosmoshub-4',
  instance: 'fuzz',
  observed_at: '2026-11-21T12:00:00.000Z',
  dedup_key: 'k',
  data: def.example,
}));
const oddValue = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string(), fc.integer(), fc.double());

describe('events (the alerter consumer)', () => {
  it('every example event decodes', () => {
    for (const e of envelopes) expect(decodeEvents(enc.encode(JSON.stringify(e))).ok, e.type).toBe(true);
  });

  it('any bytes: a value or issues naming a field', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (raw) => checkDecoded(decodeEvents(raw))),
      { numRuns: RUNS },
    );
  });

  it('any JSON: a value or issues naming a field', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => checkDecoded(decodeEvents(enc.encode(JSON.stringify(v))))),
      { numRuns: RUNS },
    );
  });

  it('a valid event of every type with one field changed or removed: a value or issues naming it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...envelopes), fc.nat(), oddValue, (e, pick, value) => {
        const d = decodeEvents(enc.encode(JSON.stringify(mutate(e, pick, value))));
        checkDecoded(d);
        // What decodes is a complete envelope.
        if (d.ok) expect(d.value).toMatchObject({ source: expect.any(String), type: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('notifications (every notifier consumer)', () => {
  const valid = notificationFixture();

  it('the fixture decodes', () => {
    expect(decodeNotification(enc.encode(JSON.stringify(valid))).ok).toBe(true);
  });

  it('any bytes: a value or issues naming a field', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (raw) => checkDecoded(decodeNotification(raw))),
      { numRuns: RUNS },
    );
  });

  it('any JSON: a value or issues naming a field', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => checkDecoded(decodeNotification(enc.encode(JSON.stringify(v))))),
      { numRuns: RUNS },
    );
  });

  it('a valid notification with one field changed or removed: a value or issues naming it', () => {
    fc.assert(
      fc.property(fc.nat(), oddValue, (pick, value) =>
        checkDecoded(decodeNotification(enc.encode(JSON.stringify(mutate(valid, pick, value))))),
      ),
      { numRuns: RUNS },
    );
  });

  // The notifiers decode with the compiled schema: whatever arrives, its answer is zod's, value or issues.
  let zodAnswered = 0;
  const fast = fastNotificationDecoder(() => zodAnswered++);
  const sameAsZod = (v: unknown) => {
    const raw = enc.encode(JSON.stringify(v));
    expect(fast(raw)).toEqual(decodeNotification(raw));
  };

  it('the compiled decoder: the fixture as zod gives it, defaults filled in', () => {
    const bare = structuredClone(valid) as Record<string, unknown>;
    delete bare.mentions;
    for (const a of bare.alerts as Record<string, unknown>[]) delete a.description;
    const d = fast(enc.encode(JSON.stringify(bare)));
    expect(d).toMatchObject({ ok: true, value: { mentions: [], alerts: [{ description: '' }] } });
    expect(d).toEqual(decodeNotification(enc.encode(JSON.stringify(bare))));
    // Settled by the compiled schema (zod only answers what it refuses), and a key it does not know is zod's.
    zodAnswered = 0;
    expect(fast(enc.encode(JSON.stringify(valid)))).toMatchObject({ ok: true });
    expect(zodAnswered).toBe(0);
    const newer = { ...structuredClone(valid), added_later: 1 };
    expect(fast(enc.encode(JSON.stringify(newer)))).toEqual({ ok: true, value: valid });
    expect(zodAnswered).toBe(1);
  });

  it('the compiled decoder answers as zod does: one field changed or removed', () => {
    fc.assert(
      fc.property(fc.nat(), oddValue, (pick, value) => sameAsZod(mutate(valid, pick, value))),
      { numRuns: RUNS },
    );
  });

  it('the compiled decoder answers as zod does: a key the contract does not know, at any depth (zod drops it)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string({ minLength: 1 }), fc.jsonValue(), (pick, key, value) => {
        const copy = structuredClone(valid) as Record<string, unknown>;
        const objects: Record<string, unknown>[] = [];
        const walk = (o: unknown) => {
          if (o === null || typeof o !== 'object') return;
          if (!Array.isArray(o)) objects.push(o as Record<string, unknown>);
          for (const v of Object.values(o)) walk(v);
        };
        walk(copy);
        objects[pick % objects.length]![key] = value;
        sameAsZod(copy);
      }),
      { numRuns: RUNS },
    );
  });

  it('the compiled decoder answers as zod does: any bytes, any JSON', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (raw) => {
        expect(fast(raw)).toEqual(decodeNotification(raw));
      }),
      { numRuns: RUNS },
    );
    fc.assert(fc.property(fc.jsonValue(), sameAsZod), { numRuns: RUNS });
  });
});
