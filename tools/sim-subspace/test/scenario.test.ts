import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { benchScenarioPath, demoScenarioPath, runSubspaceSim } from '../src/cli.ts';
import { AI3 } from '../src/codec.ts';
import { loadScenario, parseAmount, parseScenario, ScenarioError } from '../src/scenario.ts';
import { startSubspaceSim } from '../src/simulator.ts';
import { closeAfterTest } from './fixtures.ts';

function issuesOf(input: unknown): string[] {
  try {
    parseScenario(input);
  } catch (err) {
    if (err instanceof ScenarioError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('scenario format', () => {
  it('names every bad field, unknown keys included', () => {
    const issues = issuesOf({
      chain: { block_time: 6 },
      accounts: [{ name: 'alice', balance: 'lots' }],
      nodes: [{ name: 'n', sees: 'some' }],
      timeline: [
        { at_s: 1, at_height: 2, actions: [{ transfer: { from: 'alice', to: 'nobody', amount: 1 } }] },
        { at_s: 3, actions: [{ explode: {} }] },
      ],
      extra: true,
    });
    const text = issues.join('\n');
    expect(text).toMatch(/^chain: .*block_time/m);
    expect(text).toMatch(/^accounts\[0\]\.balance:/m);
    expect(text).toMatch(/^nodes\[0\]\.sees:/m);
    expect(text).toMatch(/^timeline\[0\]: give exactly one of at_s or at_height/m);
    expect(text).toMatch(/^timeline\[1\]\.actions\[0\]/m);
    expect(text).toMatch(/^: .*extra/m);
  });

  it('checks references: accounts, nodes, the sudo key', () => {
    const issues = issuesOf({
      accounts: [{ name: 'alice' }, { name: 'alice' }],
      timeline: [
        {
          at_s: 1,
          actions: [
            { transfer: { from: 'alice', to: 'nobody', amount: 1 } },
            { disconnect: { node: 'ghost' } },
            { runtime_upgrade: { spec_version: 2 } },
          ],
        },
      ],
    });
    expect(issues).toEqual([
      'accounts[1].name: duplicate account "alice"',
      'timeline[0].actions[0].transfer.to: unknown account "nobody" (a scenario name or an SS58 address)',
      'timeline[0].actions[1].disconnect.node: unknown node "ghost"',
      'timeline[0].actions[2].runtime_upgrade: needs a sudo account (top-level `sudo`)',
    ]);
  });

  it('reads amounts in AI3 unless given in shannons', () => {
    expect(parseAmount(1_000_000)).toBe(1_000_000n * AI3);
    expect(parseAmount('0.5')).toBe(AI3 / 2n);
    expect(parseAmount('12 AI3')).toBe(12n * AI3);
    expect(parseAmount('42 shannon')).toBe(42n);
  });

  it('loads the demo and bench scenarios; a bad file is a ScenarioError naming the file', async () => {
    const demo = await loadScenario(demoScenarioPath);
    expect(demo.nodes.map((n) => n.name)).toEqual(['node-0', 'node-1']);
    expect((await loadScenario(benchScenarioPath)).chain.history_blocks).toBe(10_000);
    const dir = await mkdtemp(join(tmpdir(), 'sim-subspace-'));
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'chain: { nme: x }\n');
    await expect(loadScenario(bad)).rejects.toThrow(/bad\.yaml[\s\S]*chain/);
  });

  it('plays the demo: transfers, a reorg onto branch b, a side fork, a runtime upgrade, a stall', async () => {
    const clock = new ManualClock();
    const sim = closeAfterTest(
      await startSubspaceSim({ scenario: await loadScenario(demoScenarioPath), clock, tickIntervalMs: 0 }),
      (s) => s.close(),
    );
    clock.advance(125_000);
    sim.tick();
    const best = sim.node('node-1').best;
    expect(best.branch).toBe('b');
    expect(sim.tree.branches.has('side')).toBe(true);
    expect(best.specVersion).toBe(2);
    const kinds = [...sim.tree.blocks.values()].flatMap((b) => b.activity.transfers.map((t) => t.kind));
    expect(kinds).toEqual(expect.arrayContaining(['transfer', 'force', 'transporter']));
    // The stall from 60 s: no block between 60 and 130 s.
    expect(best.timestampMs - sim.startMs).toBeLessThanOrEqual(60_000);
  });

  it('startOnFirstRequest: the timeline starts at the first request, block times follow on from the history', async () => {
    const clock = new ManualClock();
    const scenario = await loadScenario(demoScenarioPath);
    const sim = closeAfterTest(
      await startSubspaceSim({ scenario, clock, tickIntervalMs: 0, startOnFirstRequest: true }),
      (s) => s.close(),
    );
    const history = sim.node().best;
    // Nobody asked for five minutes: simulated time stood still, nothing was built.
    clock.advance(300_000);
    sim.tick();
    expect(sim.started).toBe(false);
    expect(sim.node().best.hash).toBe(history.hash);
    // The first request (JSON-RPC over HTTP POST) starts the timeline.
    const res = await fetch(sim.url.replace(/^ws/, 'http'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'chain_getHeader', params: [] }),
    });
    expect(((await res.json()) as { result: { number: string } }).result.number).toBe(
      `0x${history.number.toString(16)}`,
    );
    expect(sim.started).toBe(true);
    // 6 s later (the first step at_s 6: a large transfer): one block, 6 s of chain time after the history.
    clock.advance(6_000);
    sim.tick();
    const next = sim.node().best;
    expect(next.number).toBe(history.number + 1);
    expect(next.timestampMs - history.timestampMs).toBe(6_000);
    expect(next.activity.transfers.some((t) => t.kind === 'transfer')).toBe(true);
  });

  it('tocsin sim subspace prints node URLs and stops on abort', async () => {
    const lines: string[] = [];
    const abort = new AbortController();
    const done = runSubspaceSim({
      port: 0,
      print: (l) => lines.push(l),
      signal: abort.signal,
      onStarted: (sim) => {
        expect(sim.nodes).toHaveLength(2);
        abort.abort();
      },
    });
    await done;
    expect(lines[0]).toContain('demo.yaml');
    expect(lines.some((l) => /node-1\s+ws:\/\/127\.0\.0\.1:\d+\/node-1/.test(l))).toBe(true);
  });
});
