import { connectComet } from '@cosmjs/tendermint-rpc';
import { describe, expect, it } from 'vitest';
import { demoScenarioPath, runCosmosSim } from '../src/cli.ts';
import type { CosmosSim } from '../src/simulator.ts';

describe('runCosmosSim', () => {
  it('prints each chain URL, serves the demo scenario and stops when told to', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let sim: CosmosSim | undefined;
    const running = runCosmosSim({
      port: 0,
      print: (l) => lines.push(l),
      signal: stop.signal,
      onStarted: (s) => {
        sim = s;
      },
    });
    await expect.poll(() => sim, { timeout: 15_000 }).toBeDefined();
    expect(lines[0]).toContain(demoScenarioPath);
    expect(lines.join('\n')).toContain(`${sim!.url}/cosmoshub-4`);
    expect(lines.join('\n')).toContain(`${sim!.url.replace('http', 'ws')}/osmosis-1/websocket`);

    const comet = await connectComet(sim!.chainUrl('osmosis-1'));
    expect((await comet.status()).nodeInfo.network).toBe('osmosis-1');
    comet.disconnect();

    stop.abort();
    await running;
    await expect(fetch(sim!.chainUrl('osmosis-1'))).rejects.toThrow();
  });

  it('parses argv, prints usage for --help and rejects a bad port', async () => {
    const lines: string[] = [];
    await runCosmosSim({ print: (l) => lines.push(l), signal: AbortSignal.abort(), port: 0 });
    expect(lines.some((l) => l.includes('cosmoshub-4'))).toBe(true);
    await expect(runCosmosSim(['--port', 'abc'])).rejects.toThrow(/--port must be/);
    await expect(runCosmosSim(['--bogus'])).rejects.toThrow(/Unknown option/);
  });
});
