import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarmonyAgent } from '@tocsin/harmony-agent';
import { type CosmosSim, demoScenarioPath, loadScenario, startCosmosSim } from '@tocsin/sim-cosmos';
import {
  type HarmonySim,
  demoScenarioPath as harmonyDemoScenarioPath,
  loadScenario as loadHarmonyScenario,
  startHarmonySim,
} from '@tocsin/sim-harmony';
import * as simIcs from '@tocsin/sim-ics';
import {
  loadScenario as loadSubspaceScenario,
  startSubspaceSim,
  demoScenarioPath as subspaceDemoPath,
} from '@tocsin/sim-subspace';

/** The demo's subject prefix (a real deployment uses `tocsin` or its own). */
export const DEMO_SUBJECT_PREFIX = 'tocsin-demo';

export interface Demo {
  config: Record<string, unknown>;
  sims: { name: string; url: string }[];
  /** The Harmony nodes (tests switch a node's mode instead of waiting for the scenario). */
  harmony: HarmonySim;
  /** Once the services' ports are known: starts what talks to them (the Harmony agents). */
  servicesAt(ports: Record<string, number>): void;
  close(): Promise<void>;
}

/**
 * The demo's console login token, in `<dataDir>/console-token` (mode 600): kept across restarts so a browser that
 * logged in stays logged in; a new one when the file is missing, empty or readable by others.
 */
export function demoConsoleToken(dataDir: string): { file: string; token: string } {
  const file = join(dataDir, 'console-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(token) && (statSync(file).mode & 0o077) === 0) return { file, token };
  } catch {
    // missing: made below
  }
  const token = randomBytes(24).toString('base64url');
  rmSync(file, { force: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { file, token };
}

/** The demo's agents report every 5 s (15 s in production) so the scenario's double-sign risk shows quickly. */
const DEMO_AGENT_INTERVAL_MS = 5_000;

/**
 * The stack with no config file: chain simulators in this process, every ingestor pointed at them, the alerter
 * with its default rules (short group_wait so the first alerts show within a minute) and the console notifier.
 */
export async function startDemo(): Promise<Demo> {
  const scenario = await loadScenario(demoScenarioPath);
  const cosmos: CosmosSim = await startCosmosSim({ scenario });
  const chains = cosmos.chains.map((c) => ({
    chain_id: c.chainId,
    name: c.chainId,
    rpc: c.endpoints,
    denom: c.denom,
    display_denom: c.displayDenom,
    exponent: c.exponent,
    scan_interval: '30s',
    wallets: (scenario.chains.find((s) => s.chainId === c.chainId)?.wallets ?? []).map((w) => ({
      address: w.address,
      labels: { role: 'relayer' },
    })),
  }));
  // An ICS provider where our validator (bob) is selected for a consumer spawning in 40 s and has not opted in,
  // and another consumer's launch fails: ics-ccv alerts (opt-in due, would_opt_in, launch failed) within a minute.
  // Its time zero is ics-ccv's first request (the stack takes a while to start), so the spawn times fall while
  // ics-ccv is watching, however slow the start.
  const ics = await simIcs.startIcsSim({
    scenario: await simIcs.loadScenario(simIcs.demoScenarioPath),
    startOnFirstRequest: true,
  });
  // Subspace: two simulated nodes (the first primary); the scenario's treasury is an important address whose
  // balance drains below its threshold, and a large transfer, a sudo force transfer, a reorg and a side fork come
  // within the first minute. Its time zero is subspace-blocks' first request, so they fall while it is watching.
  const subspace = await startSubspaceSim({
    scenario: await loadSubspaceScenario(subspaceDemoPath),
    startOnFirstRequest: true,
  });
  const treasury = subspace.accounts.treasury?.address;
  // Harmony: a main node and a backup with one key; the backup starts signing 30 s in (the scenario's timeline).
  const harmony = await startHarmonySim({ scenario: await loadHarmonyScenario(harmonyDemoScenarioPath) });
  const agentDir = mkdtempSync(join(tmpdir(), 'tocsin-demo-agents-'));
  const token = `tocsin_hmy_${randomBytes(32).toString('base64url')}`;
  const tokenFile = join(agentDir, 'token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const agents: HarmonyAgent[] = [];
  return {
    config: {
      instance: 'demo',
      // Its own subjects and streams (TOCSIN_DEMO_*): never the durable consumers of a real deployment on the same NATS.
      subject_prefix: DEMO_SUBJECT_PREFIX,
      cosmos_ibc: { chains },
      ics_ccv: {
        rpc: ics.rpcUrl,
        provider_chain_id: ics.chainId,
        our_validator: ics.validator('bob').operatorAddress,
        opt_in: { enabled: true, dry_run: true },
      },
      subspace_blocks: {
        chain_id: 'autonomys-demo',
        nodes: subspace.nodes.map((n) => n.url),
        important_addresses: treasury ? [{ address: treasury, label: 'Treasury', threshold: 11_900 }] : [],
        balance_every_blocks: 1,
        // Check the simulator's history (built before the ingestor connected) too.
        backfill_blocks: 40,
      },
      // The agents' token is given by its hash only, as tokens are stored.
      harmony_signers: {
        tokens: [
          {
            id: 'demo',
            owner: 'user:demo-operator',
            label: 'demo agents',
            sha256: createHash('sha256').update(token).digest('hex'),
          },
        ],
      },
      alerter: { defaults: { group_wait: '5s', group_interval: '1m' } },
      webhook: { console: true },
    },
    sims: [
      { name: 'cosmos (CometBFT)', url: cosmos.url },
      { name: 'ics provider (CometBFT)', url: ics.rpcUrl },
      { name: 'subspace (Substrate)', url: subspace.url },
      ...harmony.nodes.map((n) => ({ name: `harmony node ${n.name}`, url: n.url })),
    ],
    harmony,
    servicesAt(ports) {
      const port = ports['harmony-signers'];
      if (port === undefined) return;
      for (const node of harmony.nodes) {
        const agent = new HarmonyAgent(
          {
            node_url: node.url,
            service_url: `http://127.0.0.1:${port}`,
            token_file: tokenFile,
            hostname: node.name,
            validator_address: 'one1demovalidator0000000000000000000000000',
            interval: DEMO_AGENT_INTERVAL_MS,
            buffer_dir: join(agentDir, `buffer-${node.name}`),
            buffer_max: 1000,
            request_timeout: 5_000,
            max_backoff: 5_000,
          },
          { log: { info() {}, warn() {}, error() {} } },
        );
        agents.push(agent);
        void agent.run();
      }
    },
    async close() {
      for (const a of agents) a.stop();
      await harmony.close();
      await cosmos.close();
      await ics.close();
      await subspace.close();
      rmSync(agentDir, { recursive: true, force: true });
    },
  };
}
