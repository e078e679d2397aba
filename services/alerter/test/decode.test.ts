import { newId } from '@tocsin/events';
import { expect, it } from 'vitest';
import { fastEventDecoder } from '../src/intake/decode.ts';

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
