import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allEvents, mayHaveBadText, newId, registry, subjects, textIssues } from '../src/index.ts';
import { jsonSchemas } from '../src/jsonSchema.ts';

const schemaDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');

describe('event contract', () => {
  it('committed JSON Schemas match the zod definitions (run `pnpm schemas` when this fails)', () => {
    const expected = jsonSchemas(allEvents);
    const committed = readdirSync(schemaDir).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(Object.keys(expected).sort());
    for (const [name, schema] of Object.entries(expected)) {
      const onDisk = JSON.parse(readFileSync(join(schemaDir, name), 'utf8'));
      expect(onDisk, `${name} is stale`).toEqual(JSON.parse(JSON.stringify(schema)));
    }
  });

  it('every example validates against its own definition', () => {
    for (const def of allEvents) {
      const result = registry.validate({
        id: newId(),
        source: def.source,
        type: def.type,
        version: def.version,
        chain_id: 'cosmoshub-4',
        instance: 'test',
        observed_at: new Date().toISOString(),
        dedup_key: 'k',
        data: def.example,
      });
      expect(result.ok, `${def.source}.${def.type}`).toBe(true);
    }
  });

  it('names the failing field of bad data with its path', () => {
    const result = registry.validate({
      id: newId(),
      source: 'cosmos-ibc',
      type: 'wallet_balance',
      version: 1,
      chain_id: 'cosmoshub-4',
      instance: 'test',
      observed_at: new Date().toISOString(),
      dedup_key: 'k',
      data: { address: 'cosmos1x', denom: 'uatom', amount: '-5' },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.some((i) => i.startsWith('data.amount:'))).toBe(true);
      expect(result.issues.some((i) => i.startsWith('data.display_denom:'))).toBe(true);
    }
  });

  it('passes unknown event types with the envelope checked only', () => {
    const ok = registry.validate({
      id: newId(),
      source: 'my-probe',
      type: 'disk_full',
      version: 1,
      chain_id: '-',
      instance: 'x',
      observed_at: '2026-01-01T00:00:00Z',
      dedup_key: 'd',
      data: { anything: 1 },
    });
    expect(ok).toMatchObject({ ok: true, known: false });
    const bad = registry.validate({ id: 'nope', source: 'My Probe' });
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.issues.map((i) => i.split(':')[0])).toEqual(
        expect.arrayContaining(['id', 'source', 'type']),
      );
  });

  it('builds subjects under a prefix and refuses tokens that would break wildcards', () => {
    const s = subjects('t_abc');
    expect(s.event('cosmos-ibc', 'client_status')).toBe('t_abc.events.cosmos-ibc.client_status');
    expect(s.alert('critical', 'cosmos-ibc')).toBe('t_abc.alerts.critical.cosmos-ibc');
    expect(s.rpc('alerter', 'ack')).toBe('t_abc.rpc.alerter.ack');
    expect(s.health('alerter')).toBe('t_abc.health.alerter');
    expect(s.streams.events).toBe('T_ABC_EVENTS');
    expect(() => s.event('a.b', 'x')).toThrow(/not a valid subject token/);
    expect(() => s.event('a', '*')).toThrow(/not a valid subject token/);
  });
});

describe('text policy: valid Unicode without NUL', () => {
  it('names each string or key with a NUL or a lone surrogate by its path', () => {
    const value = {
      ok: 'plain, é, 🚀',
      summary: 'a\u0000b',
      alerts: [{ labels: { moniker: 'x\uD800y', 'k\uDC00': 'v' } }],
    };
    expect(textIssues(value, 'data')).toEqual([
      'data.summary: contains a NUL character (U+0000) at offset 1',
      'data.alerts.0.labels.moniker: contains a lone surrogate (U+D800) at offset 1: not valid Unicode',
      'data.alerts.0.labels: a key contains a lone surrogate (U+DC00) at offset 1: not valid Unicode',
    ]);
    expect(textIssues({ fine: ['🚀', 'ü'] })).toEqual([]);
  });

  it('pre-checks JSON text: only \\u0000 and surrogate escapes can break the policy', () => {
    expect(mayHaveBadText(JSON.stringify({ a: 'x\u0000' }))).toBe(true);
    expect(mayHaveBadText(JSON.stringify({ a: '\uD800' }))).toBe(true);
    expect(mayHaveBadText(JSON.stringify({ a: 'é 🚀 \u0001' }))).toBe(false);
  });
});

describe('docs/events.md', () => {
  it('has the generated reference of every event type (run `pnpm schemas` when this fails)', async () => {
    const { eventReference, replaceGenerated } = await import('../src/docs.ts');
    const docPath = join(schemaDir, '..', '..', '..', 'docs', 'events.md');
    const doc = readFileSync(docPath, 'utf8');
    expect(doc).toBe(replaceGenerated(doc, eventReference(allEvents)));
    for (const def of allEvents) expect(doc).toContain(`#### \`${def.source}.${def.type}\``);
  });
});
