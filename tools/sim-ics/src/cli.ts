import { fileURLToPath } from 'node:url';
import { untilStopped } from '@tocsin/runtime/until-stopped';
import { loadScenario } from './scenario.ts';
import { type IcsSim, startIcsSim } from './simulator.ts';

export const demoScenarioPath = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));

export interface RunIcsSimOptions {
  /** Scenario file (YAML or JSON); the demo scenario when omitted. */
  scenario?: string;
  /** Default 26667; 0 picks a free one. */
  port?: number;
  host?: string;
  print?: (line: string) => void;
  /** Stops the sim when aborted; SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  onStarted?: (sim: IcsSim) => void;
}

/** `tocsin sim ics`: serves an ICS provider scenario until SIGINT/SIGTERM (or `signal`). */
export async function runIcsSim(options: RunIcsSimOptions = {}): Promise<void> {
  const print = options.print ?? console.log;
  const scenarioPath = options.scenario ?? demoScenarioPath;
  const sim = await startIcsSim({
    scenario: await loadScenario(scenarioPath),
    port: options.port ?? 26667,
    host: options.host ?? '127.0.0.1',
  });
  print(`tocsin sim-ics: ${scenarioPath}`);
  print(`  ${sim.chainId.padEnd(20)} ${sim.rpcUrl}   ws: ${sim.rpcUrl.replace(/^http/, 'ws')}/websocket`);
  for (const v of sim.model.validators.values())
    print(`  validator ${v.moniker.padEnd(10)} ${v.operatorAddress}`);
  options.onStarted?.(sim);
  await untilStopped(options.signal);
  await sim.close();
}
