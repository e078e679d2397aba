import { afterEach, describe, expect, it } from 'vitest';
import { type HarmonySim, parseScenario, ScenarioError, startHarmonySim } from '../src/index.ts';

const KEY_A = 'aa'.repeat(48);
const KEY_B = 'bb'.repeat(48);

async function rpc(url: string, method: string, id: unknown = 1) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params: [], id }),
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as {
    id: unknown;
    // biome-ignore lint/suspicious/noExplicitAny: the test reads nested JSON fields
    result?: Record<string, any>;
    error?: { code: number; message: string };
  };
}

describe('sim-harmony', () => {
  let sim: HarmonySim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it('answers hmyv2_getNodeMetadata and the hmy_ alias with Harmony field names, per node', async () => {
    sim = await startHarmonySim({
      scenario: {
        nodes: [
          { name: 'main', blskeys: [KEY_A], mode: 'Normal' },
          { name: 'backup', shard_id: 1, blskeys: [KEY_A, KEY_B], mode: 'Syncing', is_backup: true },
          { name: 'empty', blskeys: [] },
        ],
      },
    });
    const main = await rpc(sim.nodeUrl('main'), 'hmyv2_getNodeMetadata', 7);
    expect(main.id).toBe(7);
    expect(main.result).toMatchObject({
      blskey: [KEY_A],
      'shard-id': 0,
      'is-backup': false,
      consensus: { mode: 'Normal', phase: 'Announce' },
      role: 'Validator',
      network: 'mainnet',
    });
    expect(typeof main.result!['current-block-number']).toBe('number');
    expect(typeof main.result!.peerid).toBe('string');
    expect(main.result!['p2p-connectivity']).toHaveProperty('total-known-peers');
    const alias = await rpc(sim.nodeUrl('backup'), 'hmy_getNodeMetadata');
    expect(alias.result).toMatchObject({
      blskey: [KEY_A, KEY_B],
      'shard-id': 1,
      'is-backup': true,
      consensus: { mode: 'Syncing' },
    });
    expect(alias.result).not.toHaveProperty('blocks-per-epoch');
    // No key loaded: null, as Harmony marshals an empty slice.
    expect((await rpc(sim.nodeUrl('empty'), 'hmyv2_getNodeMetadata')).result!.blskey).toBeNull();
    // The first node also answers on "/".
    expect((await rpc(sim.url, 'hmyv2_getNodeMetadata')).result!.blskey).toEqual([KEY_A]);
    const unknown = await rpc(sim.url, 'hmyv2_getBalance');
    expect(unknown.error?.code).toBe(-32601);
    expect((await fetch(`${sim.url}/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('plays the timeline against the injected clock and takes changes from a test', async () => {
    let now = Date.parse('2026-12-03T18:00:00Z');
    sim = await startHarmonySim({
      clock: () => now,
      scenario: {
        block_time: '2s',
        nodes: [{ name: 'backup', blskeys: [KEY_A], mode: 'Syncing', is_backup: true }],
        timeline: [
          { at: '30s', node: 'backup', set: { mode: 'Normal' } },
          { at: '60s', node: 'backup', set: { blskeys: [KEY_B], is_backup: false } },
        ],
      },
    });
    const at = async () => (await rpc(sim!.url, 'hmyv2_getNodeMetadata')).result!;
    const first = await at();
    expect(first.consensus.mode).toBe('Syncing');
    now += 30_000;
    const second = await at();
    expect(second.consensus.mode).toBe('Normal');
    expect(second['current-block-number'] - first['current-block-number']).toBe(15);
    now += 30_000;
    expect(await at()).toMatchObject({ blskey: [KEY_B], 'is-backup': false });
    sim.set('backup', { mode: 'Listening' });
    expect((await at()).consensus.mode).toBe('Listening');
    expect(sim.state('backup').mode).toBe('Listening');
  });

  it('a node that stops answering closes the connection; an erroring node answers a JSON-RPC error', async () => {
    sim = await startHarmonySim({ scenario: { nodes: [{ name: 'n1', blskeys: [KEY_A] }, { name: 'n2' }] } });
    sim.set('n1', { answer: 'down' });
    await expect(rpc(sim.nodeUrl('n1'), 'hmyv2_getNodeMetadata')).rejects.toThrow();
    sim.set('n2', { answer: 'error' });
    expect((await rpc(sim.nodeUrl('n2'), 'hmyv2_getNodeMetadata')).error?.code).toBe(-32000);
    sim.set('n1', { answer: 'ok' });
    expect((await rpc(sim.nodeUrl('n1'), 'hmyv2_getNodeMetadata')).result!.blskey).toEqual([KEY_A]);
    expect(sim.requests.get('n1')).toBe(2);
  });

  it('takes a scenario already parsed (loadScenario) without reading its durations again', async () => {
    let now = 0;
    const scenario = parseScenario({
      nodes: [{ name: 'b', mode: 'Syncing' }],
      timeline: [{ at: '30s', node: 'b', set: { mode: 'Normal' } }],
    });
    sim = await startHarmonySim({ scenario, clock: () => now });
    now = 29_000;
    expect(sim.state('b').mode).toBe('Syncing');
    now = 30_000;
    expect(sim.state('b').mode).toBe('Normal');
  });

  it('refuses a bad scenario naming each field', () => {
    const bad = () =>
      parseScenario({
        nodes: [{ name: 'a', blskeys: ['0xabc'] }, { name: 'a' }],
        timeline: [{ at: '5s', node: 'zzz', set: {} }],
      });
    expect(bad).toThrow(ScenarioError);
    expect(bad).toThrow(/nodes\.0\.blskeys\.0: a BLS public key/);
    expect(() =>
      parseScenario({ nodes: [{ name: 'a' }, { name: 'a' }], timeline: [{ at: '1s', node: 'b', set: {} }] }),
    ).toThrow(/nodes\.1\.name: "a" is used twice[\s\S]*timeline\.0\.node: no node named "b"/);
  });
});
