import { fileURLToPath } from 'node:url';
import { untilStopped } from '@tocsin/runtime/until-stopped';
import { loadScenario } from './scenario.ts';
import { type SubspaceSim, startSubspaceSim } from './simulator.ts';

export const demoScenarioPath = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));
export const benchScenarioPath = fileURLToPath(new URL('../scenarios/bench.yaml', import.meta.url));

export interface RunSubspaceSimOptions {
  /** Scenario file (YAML or JSON); the demo scenario when omitted. */
  scenario?: string;
  /** Default 9944, a Substrate node's RPC port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Where the URLs are printed. Default console.log. */
  print?: (line: string) => void;
  /** Stops the sim when aborted; SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  /** Called once the sim listens, e.g. for a launcher that needs the URLs. */
  onStarted?: (sim: SubspaceSim) => void;
}

/** `tocsin sim subspace`: serves a scenario, prints each node's URL and runs until SIGINT/SIGTERM (or `signal`). */
export async function runSubspaceSim(options: RunSubspaceSimOptions = {}): Promise<void> {
  const print = options.print ?? console.log;
  const scenarioPath = options.scenario ?? demoScenarioPath;
  const sim = await startSubspaceSim({
    scenario: await loadScenario(scenarioPath),
    port: options.port ?? 9944,
    host: options.host ?? '127.0.0.1',
  });
  print(`tocsin sim-subspace: ${scenarioPath}`);
  print(`  genesis ${sim.genesisHash}, best #${sim.node().best.number}`);
  sim.nodes.forEach((n, i) => {
    print(`  ${n.name.padEnd(12)} ${n.url}${i === 0 ? `   (also ${sim.url})` : ''}`);
  });
  options.onStarted?.(sim);
  await untilStopped(options.signal);
  await sim.close();
}
