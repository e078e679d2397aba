import { newId } from '@tocsin/events';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { expect, it } from 'vitest';
import { canonicalUtc, fastEventDecoder } from '../src/compiledDecoders.ts';
import { decodeEvent } from '../src/decoders.ts';

const enc = new TextEncoder();
const event = (data: Record<string, unknown>) => ({
  id: newId(),
  source: 'my-probe',
  type: 'disk_full',
  version: 1,
  chain_id: '-',
  instance: 'x',
  observed_at: '2026-01-01T00:00:00Z',
  dedup_key: 'd',
  data,
});

it('refuses NUL and lone surrogates (the text policy) with their path, and accepts paired ones', () => {
  const decode = fastEventDecoder();
  expect(decode(enc.encode(JSON.stringify(event({ mount: '/data\u0000' }))))).toEqual({
    ok: false,
    issues: ['data.mount: contains a NUL character (U+0000) at offset 5'],
  });
  expect(decode(enc.encode(JSON.stringify(event({ host: '\uDFFFx' }))))).toEqual({
    ok: false,
    issues: ['data.host: contains a lone surrogate (U+DFFF) at offset 0: not valid Unicode'],
  });
  expect(decode(Uint8Array.from([0x7b, 0xff, 0x7d]))).toEqual({
    ok: false,
    issues: ['(root): not valid UTF-8'],
  });
  const escaped = JSON.stringify(event({ host: 'node @@' })).replace('@@', '\\ud83d\\ude80');
  expect(decode(enc.encode(escaped))).toMatchObject({ ok: true, value: { data: { host: 'node 🚀' } } });
});

it('accepts an event on its own subject only, as @tocsin/bus decodeEvent does', () => {
  const decode = fastEventDecoder();
  const raw = enc.encode(JSON.stringify(event({ mount: '/data' })));
  for (const subject of [
    't.events.my-probe.disk_full',
    'a.b.events.my-probe.disk_full',
    'events.my-probe.disk_full',
  ])
    expect(decode(raw, subject)).toMatchObject({ ok: true });
  for (const subject of [
    't.events.my-probe.disk_fullx',
    't.events.xmy-probe.disk_full',
    't.xevents.my-probe.disk_full',
    'my-probe.disk_full',
    't.events.other.disk_full',
  ])
    expect(decode(raw, subject)).toEqual({
      ok: false,
      issues: [
        `(subject): ${subject} does not agree with the envelope's source/type my-probe.disk_full (expected <prefix>.events.my-probe.disk_full)`,
      ],
    });
});

it('settles a time in toISOString form by position, only when the full RFC 3339 check accepts it too', () => {
  const full = (fullFormats['date-time'] as { validate(s: string): boolean }).validate;
  const valid = [
    '2026-01-01T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z',
    '2000-02-29T12:30:45.500Z',
    '1970-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  ];
  for (const s of valid) {
    expect(canonicalUtc(s)).toBe(true);
    expect(full(s)).toBe(true);
  }
  // Valid but in another form: for the full check.
  for (const s of ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+00:00', '2026-01-01t00:00:00.000z'])
    expect([canonicalUtc(s), full(s)]).toEqual([false, true]);
  for (const s of [
    '2026-02-29T00:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-00-01T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T00:60:00.000Z',
    '2026-01-01T00:00:60.000Z',
    '2026-01-01 00:00:00.000Z',
    '2026-01-01T00:00:00.00aZ',
    '2026-01-01T00:00:00.000X',
    '2026-01-01T00:00:00.0000',
    '٢٠٢٦-01-01T00:00:00.000Z',
  ])
    expect(canonicalUtc(s)).toBe(false);
});

it("counts a string's length as zod does (code points: an emoji is one), and refuses what zod refuses", () => {
  const decode = fastEventDecoder();
  const withChain = (chain_id: string) => enc.encode(JSON.stringify({ ...event({}), chain_id }));
  // chain_id: at most 128. 128 emojis are 256 UTF-16 units and 128 code points.
  for (const chain of ['🚀'.repeat(128), '🚀'.repeat(129), ''])
    expect(decode(withChain(chain)).ok).toBe(decodeEvent()(withChain(chain)).ok);
  expect(decode(withChain('🚀'.repeat(128))).ok).toBe(true);
  expect(decode(withChain('🚀'.repeat(129))).ok).toBe(false);
});
