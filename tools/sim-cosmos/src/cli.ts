import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { untilStopped } from '@tocsin/runtime/until-stopped';
import { loadScenario } from './scenario.ts';
import { type CosmosSim, startCosmosSim } from './simulator.ts';

export const demoScenarioPath = fileURLToPath(new URL('../scenarios/demo.yaml', import.meta.url));
export const benchScenarioPath = fileURLToPath(new URL('../scenarios/bench.yaml', import.meta.url));

export interface RunCosmosSimOptions {
  /** Scenario file (YAML or JSON); the demo scenario when omitted. */
  scenario?: string;
  /** Default 26657, CometBFT's RPC port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Where the URLs are printed. Default console.log. */
  print?: (line: string) => void;
  /** Stops the sim when aborted; SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  /** Called once the sim listens, e.g. for a launcher that needs the URLs. */
  onStarted?: (sim: CosmosSim) => void;
}

const USAGE = 'usage: tocsin sim cosmos [--scenario <file.yaml|json>] [--port <n>] [--host <addr>]';

function fromArgv(argv: string[]): RunCosmosSimOptions | undefined {
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

/**
 * `tocsin sim cosmos`: serves a scenario, prints each chain's URL and runs until SIGINT/SIGTERM (or `signal`).
 * Accepts argv (`['--scenario', 'x.yaml']`) or options.
 */
export async function runCosmosSim(args: string[] | RunCosmosSimOptions = {}): Promise<void> {
  const options = Array.isArray(args) ? fromArgv(args) : args;
  const print = (Array.isArray(args) ? undefined : args.print) ?? console.log;
  if (!options) return void print(USAGE);
  const scenarioPath = options.scenario ?? demoScenarioPath;
  const sim = await startCosmosSim({
    scenario: await loadScenario(scenarioPath),
    port: options.port ?? 26657,
    host: options.host ?? '127.0.0.1',
  });
  print(`tocsin sim-cosmos: ${scenarioPath}`);
  for (const c of sim.chains) {
    print(`  ${c.chainId.padEnd(20)} ${c.url}   ws: ${c.url.replace(/^http/, 'ws')}/websocket`);
    if (c.endpoints.length > 1) print(`  ${''.padEnd(20)} endpoints: ${c.endpoints.join(' ')}`);
  }
  options.onStarted?.(sim);

  await untilStopped(options.signal);
  await sim.close();
}
