import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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

const USAGE = 'usage: tocsin sim ics [--scenario <file.yaml|json>] [--port <n>] [--host <addr>]';

function fromArgv(argv: string[]): RunIcsSimOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', short: 's' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new Error(`--port must be 0..65535, got ${values.port}\n${USAGE}`);
  }
  return { scenario: values.scenario, port, host: values.host };
}

/** `tocsin sim ics`: serves an ICS provider scenario until SIGINT/SIGTERM (or `signal`). */
export async function runIcsSim(args: string[] | RunIcsSimOptions = {}): Promise<void> {
  const options = Array.isArray(args) ? fromArgv(args) : args;
  const print = (Array.isArray(args) ? undefined : args.print) ?? console.log;
  if (!options) return void print(USAGE);
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
