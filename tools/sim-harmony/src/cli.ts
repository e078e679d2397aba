import { fileURLToPath } from 'node:url';
import { untilStopped } from '@tocsin/runtime/until-stopped';
import { loadScenario } from './scenario.ts';
import { type HarmonySim, startHarmonySim } from './simulator.ts';

export const demoScenarioPath = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));

export interface RunHarmonySimOptions {
  /** Scenario file (YAML or JSON); the demo scenario when omitted. */
  scenario?: string;
  /** Default 9500, Harmony's HTTP JSON-RPC port; 0 picks a free one. */
  port?: number;
  host?: string;
  print?: (line: string) => void;
  /** Stops the sim when aborted; SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  onStarted?: (sim: HarmonySim) => void;
}

/** `tocsin sim harmony`: serves a scenario, prints each node's URL and runs until SIGINT/SIGTERM (or `signal`). */
export async function runHarmonySim(options: RunHarmonySimOptions = {}): Promise<void> {
  const print = options.print ?? console.log;
  const scenarioPath = options.scenario ?? demoScenarioPath;
  const sim = await startHarmonySim({
    scenario: await loadScenario(scenarioPath),
    port: options.port ?? 9500,
    host: options.host ?? '127.0.0.1',
  });
  print(`tocsin sim-harmony: ${scenarioPath}`);
  for (const n of sim.nodes) print(`  ${n.name.padEnd(20)} ${n.url}`);
  print(`  (the first node also answers on ${sim.url}/)`);
  options.onStarted?.(sim);
  await untilStopped(options.signal);
  await sim.close();
}
