import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchScenarioPath } from './cli.ts';

export interface SubspaceSimProcess {
  /** ws URL of the first node. */
  url: string;
  nodes: Array<{ name: string; url: string }>;
  genesisHash: string;
  /** Best block number of the first node when the process reported ready. */
  best: number;
  /** Wall time the child took to build its scenario (history blocks included). */
  startupMs: number;
  /** The child's resident set size now. */
  rss(): Promise<number>;
  close(): Promise<void>;
}

/** The child: starts the sim, prints one JSON line when ready, answers `rss` lines, exits when stdin closes. */
const CHILD = `
import { createInterface } from 'node:readline';
import { loadScenario, startSubspaceSim } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
const t0 = performance.now();
const sim = await startSubspaceSim({ scenario: await loadScenario(process.env.SIM_SCENARIO), port: Number(process.env.SIM_PORT) });
console.log(JSON.stringify({ url: sim.url, nodes: sim.nodes, genesisHash: sim.genesisHash, best: sim.node().best.number, startupMs: performance.now() - t0 }));
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'rss') console.log(JSON.stringify({ rss: process.memoryUsage().rss }));
}
await sim.close();
process.exit(0);
`;

/**
 * Runs a simulator in its own Node process (default: the 10,000-block bench scenario), so a benchmark measures
 * its subject's memory and CPU without the simulator's. Startup waits for the scenario to be built.
 */
export async function startSubspaceSimProcess(
  options: { scenario?: string; port?: number; startupTimeoutMs?: number } = {},
): Promise<SubspaceSimProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      SIM_SCENARIO: options.scenario ?? benchScenarioPath,
      SIM_PORT: String(options.port ?? 0),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const timeoutMs = options.startupTimeoutMs ?? 300_000;
  const next = async (what: string, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`sim-subspace process: no ${what} within ${ms} ms`)), ms);
    });
    try {
      const { value, done } = await Promise.race([lines.next(), timeout]);
      if (done) throw new Error(`sim-subspace process ended before ${what}`);
      return JSON.parse(value as string);
    } finally {
      clearTimeout(timer);
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ready: Omit<SubspaceSimProcess, 'rss' | 'close'>;
  try {
    ready = await next('ready line', timeoutMs);
  } catch (err) {
    child.kill();
    throw err;
  }
  return {
    ...ready,
    rss: async () => {
      child.stdin.write('rss\n');
      return (await next('rss answer', 30_000)).rss as number;
    },
    close: async () => {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
