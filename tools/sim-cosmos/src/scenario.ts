import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { expandClientGenerator } from './clientGenerator.ts';
import type { Fault } from './faults.ts';
import {
  type ActionInput,
  type ChainInput,
  type CLIENT_TYPES,
  type CONNECTION_STATES,
  type FaultInput,
  scenarioSchema,
} from './scenarioSchema.ts';

export type { ScenarioInput } from './scenarioSchema.ts';

/** The scenario as the simulator uses it: camelCase, defaults applied, generators expanded, ids assigned. */

export type ClientType = (typeof CLIENT_TYPES)[number];
export type ConnectionState = (typeof CONNECTION_STATES)[number];

export interface ClientSpec {
  clientId: string;
  type: ClientType;
  counterpartyChainId: string;
  trustingPeriodS: number;
  unbondingPeriodS: number;
  maxClockDriftS: number;
  lastUpdateAgoS: number;
  latestHeight?: number;
  frozen: boolean;
}

export interface ConnectionSpec {
  connectionId: string;
  clientId: string;
  state: ConnectionState;
  counterpartyClientId: string;
  counterpartyConnectionId: string;
}

export interface WalletSpec {
  address: string;
  denom: string;
  balance: bigint;
  spendPerHour: bigint;
}

export interface ChainSpec {
  chainId: string;
  blockTimeS: number;
  startHeight: number;
  denom: string;
  displayDenom: string;
  exponent: number;
  fault: Fault;
  endpointFaults: Fault[];
  clients: ClientSpec[];
  connections: ConnectionSpec[];
  wallets: WalletSpec[];
}

export interface AbciEventSpec {
  type: string;
  attributes: Record<string, string>;
}

export type TimelineAction =
  | { action: 'update_client'; chainId: string; clientId: string; height?: number }
  | { action: 'freeze_client'; chainId: string; clientId: string }
  | { action: 'set_balance'; chainId: string; address: string; denom?: string; amount: bigint }
  | { action: 'set_spend_rate'; chainId: string; address: string; denom?: string; spendPerHour: bigint }
  | { action: 'set_fault'; chainId: string; endpoint?: number; fault: Fault | null }
  | { action: 'stall_chain' | 'resume_chain'; chainId: string }
  | { action: 'emit_tx'; chainId: string; events: AbciEventSpec[] };

export interface TimelineStep {
  atS: number;
  actions: TimelineAction[];
}

export interface Scenario {
  chains: ChainSpec[];
  /** Sorted by `atS`; steps with equal times keep file order. */
  timeline: TimelineStep[];
}

export interface ScenarioIssue {
  path: string;
  message: string;
}

/** A scenario that failed validation; each issue names the offending path, e.g. `chains[0].clients[2].type`. */
export class ScenarioError extends Error {
  constructor(
    readonly issues: ScenarioIssue[],
    source = 'scenario',
  ) {
    super(`invalid ${source}:\n${issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n')}`);
    this.name = 'ScenarioError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

const parsedScenarios = new WeakSet<Scenario>();

export function isParsedScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && parsedScenarios.has(value as Scenario);
}

/** Validates a scenario object (already decoded from YAML/JSON). Throws `ScenarioError`. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) {
    throw new ScenarioError(
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
      source,
    );
  }
  const issues: ScenarioIssue[] = [];
  const chainIds = result.data.chains.map((c) => c.chain_id);
  const chains = result.data.chains.map((c, i) => toChainSpec(c, `chains[${i}]`, chainIds, issues));
  const timeline = result.data.timeline
    .map((step, i) => ({
      atS: step.at_s,
      actions: step.actions.map((a, j) => toAction(a, `timeline[${i}].actions[${j}]`, chains, issues)),
    }))
    .sort((a, b) => a.atS - b.atS);
  const seen = new Set<string>();
  chains.forEach((c, i) => {
    if (seen.has(c.chainId))
      issues.push({ path: `chains[${i}].chain_id`, message: `duplicate chain "${c.chainId}"` });
    seen.add(c.chainId);
  });
  if (issues.length) throw new ScenarioError(issues, source);
  const scenario = { chains, timeline };
  parsedScenarios.add(scenario);
  return scenario;
}

/** Reads and validates a `.yaml`, `.yml` or `.json` scenario file. */
export async function loadScenario(path: string): Promise<Scenario> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ScenarioError([{ path: '', message: `cannot parse: ${(err as Error).message}` }], path);
  }
  return parseScenario(raw, path);
}

function toChainSpec(c: ChainInput, at: string, allChainIds: string[], issues: ScenarioIssue[]): ChainSpec {
  const endpointFaults =
    typeof c.endpoints === 'number'
      ? Array.from({ length: c.endpoints }, () => ({}))
      : c.endpoints.map((e) => toFault(e.fault));

  // ibc-go numbers clients and connections with one counter each per chain, whatever the client type.
  const clientSeq = new Sequence(c.clients.map((cl) => cl.client_id));
  const clients: ClientSpec[] = c.clients.map((cl) => ({
    clientId: cl.client_id ?? `${cl.type}-${clientSeq.next()}`,
    type: cl.type,
    counterpartyChainId: cl.counterparty_chain_id,
    trustingPeriodS: cl.trusting_period_s,
    unbondingPeriodS: cl.unbonding_period_s ?? Math.round(cl.trusting_period_s * 1.5),
    maxClockDriftS: cl.max_clock_drift_s,
    lastUpdateAgoS: cl.last_update_ago_s,
    latestHeight: cl.latest_height,
    frozen: cl.frozen,
  }));
  const connectionSeq = new Sequence(c.connections.map((cn) => cn.connection_id));
  const connections: ConnectionSpec[] = c.connections.map((cn, i) => {
    const connectionId = cn.connection_id ?? `connection-${connectionSeq.next()}`;
    return {
      connectionId,
      clientId: cn.client_id,
      state: cn.state,
      counterpartyClientId: cn.counterparty.client_id ?? `07-tendermint-${i}`,
      counterpartyConnectionId: cn.counterparty.connection_id ?? `connection-${i}`,
    };
  });
  if (c.generate_clients) {
    const g = c.generate_clients;
    const generated = expandClientGenerator(
      {
        count: g.count,
        seed: g.seed,
        type: g.type,
        counterpartyChainIds: g.counterparty_chain_ids ?? defaultCounterparties(c.chain_id, allChainIds),
        trustingPeriodS: g.trusting_period_s,
        lastUpdateAgoS: g.last_update_ago_s,
        frozenRatio: g.frozen_ratio,
        connectionState: g.connection_state,
      },
      () => clientSeq.next(),
      () => connectionSeq.next(),
    );
    clients.push(...generated.clients);
    connections.push(...generated.connections);
  }

  const clientIds = new Set<string>();
  clients.forEach((cl, i) => {
    if (clientIds.has(cl.clientId)) {
      issues.push({ path: `${at}.clients[${i}].client_id`, message: `duplicate client "${cl.clientId}"` });
    }
    clientIds.add(cl.clientId);
  });
  const connectionIds = new Set<string>();
  connections.forEach((cn, i) => {
    if (i >= c.connections.length) return; // generated ones are consistent by construction
    if (!clientIds.has(cn.clientId)) {
      issues.push({ path: `${at}.connections[${i}].client_id`, message: `unknown client "${cn.clientId}"` });
    }
    if (connectionIds.has(cn.connectionId)) {
      issues.push({
        path: `${at}.connections[${i}].connection_id`,
        message: `duplicate connection "${cn.connectionId}"`,
      });
    }
    connectionIds.add(cn.connectionId);
  });

  const wallets = c.wallets.map((w) => ({
    address: w.address,
    denom: w.denom ?? c.denom,
    balance: BigInt(w.balance),
    spendPerHour: BigInt(w.spend_per_hour),
  }));
  const walletKeys = new Set<string>();
  wallets.forEach((w, i) => {
    const key = `${w.address}/${w.denom}`;
    if (walletKeys.has(key)) issues.push({ path: `${at}.wallets[${i}]`, message: `duplicate wallet ${key}` });
    walletKeys.add(key);
  });

  return {
    chainId: c.chain_id,
    blockTimeS: c.block_time_s,
    startHeight: c.start_height,
    denom: c.denom,
    displayDenom: c.display_denom ?? c.denom.replace(/^u/, '').toUpperCase(),
    exponent: c.exponent,
    fault: toFault(c.fault),
    endpointFaults,
    clients,
    connections,
    wallets,
  };
}

function toAction(a: ActionInput, at: string, chains: ChainSpec[], issues: ScenarioIssue[]): TimelineAction {
  const chain = chains.find((c) => c.chainId === a.chain);
  if (!chain) issues.push({ path: `${at}.chain`, message: `unknown chain "${a.chain}"` });
  const chainId = a.chain;
  switch (a.action) {
    case 'update_client':
    case 'freeze_client':
      if (chain && !chain.clients.some((c) => c.clientId === a.client_id)) {
        issues.push({ path: `${at}.client_id`, message: `unknown client "${a.client_id}" on ${chainId}` });
      }
      return a.action === 'update_client'
        ? { action: a.action, chainId, clientId: a.client_id, height: a.height }
        : { action: a.action, chainId, clientId: a.client_id };
    case 'set_balance':
      return { action: a.action, chainId, address: a.address, denom: a.denom, amount: BigInt(a.amount) };
    case 'set_spend_rate':
      if (chain && !chain.wallets.some((w) => w.address === a.address)) {
        issues.push({ path: `${at}.address`, message: `unknown wallet "${a.address}" on ${chainId}` });
      }
      return {
        action: a.action,
        chainId,
        address: a.address,
        denom: a.denom,
        spendPerHour: BigInt(a.spend_per_hour),
      };
    case 'set_fault':
      if (chain && a.endpoint !== undefined && a.endpoint >= chain.endpointFaults.length) {
        issues.push({
          path: `${at}.endpoint`,
          message: `${chainId} has ${chain.endpointFaults.length} endpoint(s)`,
        });
      }
      return {
        action: a.action,
        chainId,
        endpoint: a.endpoint,
        fault: a.fault === null ? null : toFault(a.fault),
      };
    case 'stall_chain':
    case 'resume_chain':
      return { action: a.action, chainId };
    case 'emit_tx':
      return { action: a.action, chainId, events: a.events };
  }
}

/** Generated clients track the scenario's other chains, or a made-up one when there are none. */
function defaultCounterparties(chainId: string, allChainIds: string[]): string[] {
  const others = allChainIds.filter((id) => id !== chainId);
  return others.length ? others : ['counterparty-1'];
}

function toFault(f: FaultInput | undefined): Fault {
  const fault: Fault = {};
  if (f?.latency_ms !== undefined) fault.latencyMs = f.latency_ms;
  if (f?.kind !== undefined) fault.kind = f.kind;
  return fault;
}

/** Hands out `<prefix>-N` numbers, skipping those already taken by ids written in the scenario. */
class Sequence {
  private readonly taken = new Set<number>();
  private value = 0;

  constructor(explicitIds: (string | undefined)[]) {
    for (const id of explicitIds) {
      const n = id?.match(/-(\d+)$/)?.[1];
      if (n !== undefined) this.taken.add(Number(n));
    }
  }

  next(): number {
    while (this.taken.has(this.value)) this.value++;
    return this.value++;
  }
}
