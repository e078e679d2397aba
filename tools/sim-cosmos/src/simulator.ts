import { type Clock, systemClock } from '@tocsin/runtime/clock';
import { type ChainModel, heightKey, NetworkModel } from './chainModel.ts';
import {
  type AbciEvent,
  type CometEvent,
  newBlockEvent,
  type TxEventInput,
  txEvent,
  updateClientEvents,
} from './cometEvents.ts';
import { EndpointCounters, type EndpointStats } from './endpointStats.ts';
import { effectiveFault, type Fault } from './faults.ts';
import { callRpcMethod } from './rpcMethods.ts';
import {
  isParsedScenario,
  parseScenario,
  type Scenario,
  type ScenarioInput,
  type TimelineAction,
} from './scenario.ts';
import { type Endpoint, type SimBackend, startSimServer } from './server.ts';
import { SubscriptionHub } from './subscriptions.ts';

export interface CosmosSimOptions {
  /** A parsed scenario (`loadScenario`/`parseScenario`) or a raw scenario object to validate. */
  scenario: Scenario | ScenarioInput;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Simulated time in ms. All "ago" values and `at_s` are relative to its value at start. */
  clock?: Clock;
  /**
   * How often (real ms) to catch up with the clock on its own: apply due timeline steps and announce new
   * blocks to subscribers. Requests always catch up first. Default 1000; 0 turns the timer off.
   */
  tickIntervalMs?: number;
}

/** An event for WebSocket subscribers of a chain. */
export type SimEvent =
  | ({ type: 'Tx' } & TxEventInput)
  | { type: 'NewBlock'; events?: AbciEvent[] }
  | ({ type: 'raw' } & CometEvent);

export interface ChainInfo {
  chainId: string;
  denom: string;
  displayDenom: string;
  exponent: number;
  /** The chain's base URL (endpoint 0); cosmjs appends `/websocket` for ws. */
  url: string;
  endpoints: string[];
}

export interface CosmosSim {
  /** `http://host:port`. */
  url: string;
  /** The clock's value when the sim started; scenario times are relative to it. */
  startMs: number;
  chains: ChainInfo[];
  /** `http://host:port/<chainId>`, or `.../<chainId>/<endpoint>` when an endpoint index is given. */
  chainUrl(chainId: string, endpoint?: number): string;
  /** The model behind the endpoints, for inspection. Mutate it through the methods below. */
  network: NetworkModel;
  stats(): EndpointStats[];
  endpointStats(chainId: string, endpoint?: number): EndpointStats;
  /** Zeroes all counters, e.g. after a warm-up. */
  resetStats(): void;
  /** Replaces the chain's fault (no endpoint given) or one endpoint's; endpoint settings win; null clears. */
  setFault(target: { chainId: string; endpoint?: number }, fault: Fault | null): void;
  /** A relayer update: new latest height (default: the counterparty's current height) stamped now. */
  updateClient(chainId: string, clientId: string, options?: { height?: number }): void;
  freezeClient(chainId: string, clientId: string): void;
  /** The chain stops producing blocks from now (height and latest block time stay) until `resumeChain`. */
  stallChain(chainId: string): void;
  resumeChain(chainId: string): void;
  /** Sets a wallet balance (base units) from now on; creates the wallet if needed. Denom defaults to the chain's. */
  setBalance(chainId: string, address: string, amount: bigint | number | string, denom?: string): void;
  setSpendRate(
    chainId: string,
    address: string,
    spendPerHour: bigint | number | string,
    denom?: string,
  ): void;
  /** Catches up with the clock: applies due timeline steps, announces new blocks. */
  tick(): void;
  /** Sends an event to the chain's matching WebSocket subscriptions; returns how many received it. */
  emit(chainId: string, event: SimEvent): number;
  /** Open WebSocket subscriptions (of a chain, or all): lets a test wait until a subscriber is listening. */
  subscriberCount(chainId?: string): number;
  close(): Promise<void>;
}

/** Blocks announced at most per catch-up, so a clock jump of days does not flood subscribers. */
const MAX_BLOCKS_PER_TICK = 10;

export async function startCosmosSim(options: CosmosSimOptions): Promise<CosmosSim> {
  const scenario = isParsedScenario(options.scenario) ? options.scenario : parseScenario(options.scenario);
  const clock = options.clock ?? systemClock;
  const startMs = clock.now();
  const network = new NetworkModel(scenario, startMs);
  const hub = new SubscriptionHub();
  const chainFaults = new Map(scenario.chains.map((c) => [c.chainId, { ...c.fault }]));
  const endpoints = new Map<string, Endpoint[]>();
  let baseUrl = '';
  const chainUrl = (chainId: string, endpoint?: number) => {
    if (!network.chains.has(chainId)) throw new Error(`unknown chain ${chainId}`);
    return `${baseUrl}/${encodeURIComponent(chainId)}${endpoint === undefined ? '' : `/${endpoint}`}`;
  };

  const chain = (chainId: string): ChainModel => network.chain(chainId);
  const endpointOf = (chainId: string, index = 0): Endpoint => {
    const e = endpoints.get(chainId)?.[index];
    if (!e) throw new Error(`${chainId} has no endpoint ${index}`);
    return e;
  };

  // ---- mutations (runtime API and timeline share them) ----

  const emit = (chainId: string, event: SimEvent): number => {
    const c = chain(chainId);
    const height = c.heightAt(clock.now());
    switch (event.type) {
      case 'Tx':
        return hub.publish(chainId, txEvent(c, event.height ?? height, event));
      case 'NewBlock':
        return hub.publish(chainId, newBlockEvent(c, height, event.events));
      case 'raw':
        return hub.publish(chainId, { data: event.data, events: event.events });
    }
  };

  const updateClient = (chainId: string, clientId: string, atMs: number, height?: number) => {
    const c = chain(chainId);
    const client = c.requireClient(clientId);
    const next =
      height ??
      Math.max(
        Number(client.latestHeight.revisionHeight) + 1,
        network.counterpartyHeightAt(client.counterpartyChainId, atMs),
      );
    const updated = c.updateClient(clientId, atMs, next);
    emit(chainId, {
      type: 'Tx',
      events: updateClientEvents(clientId, client.type, heightKey(updated.latestHeight)),
    });
  };

  const freezeClient = (chainId: string, clientId: string) => {
    const client = chain(chainId).freezeClient(clientId);
    emit(chainId, {
      type: 'Tx',
      events: [
        { type: 'client_misbehaviour', attributes: { client_id: clientId, client_type: client.type } },
      ],
    });
  };

  const setFault = (target: { chainId: string; endpoint?: number }, fault: Fault | null) => {
    const value = { ...(fault ?? {}) };
    if (target.endpoint === undefined) {
      chain(target.chainId);
      chainFaults.set(target.chainId, value);
    } else {
      endpointOf(target.chainId, target.endpoint).fault = value;
    }
  };

  const apply = (a: TimelineAction, atMs: number) => {
    const c = chain(a.chainId);
    switch (a.action) {
      case 'update_client':
        return updateClient(a.chainId, a.clientId, atMs, a.height);
      case 'freeze_client':
        return freezeClient(a.chainId, a.clientId);
      case 'set_balance':
        return c.setBalance(a.address, a.denom ?? c.spec.denom, a.amount, atMs);
      case 'set_spend_rate':
        return c.setSpendRate(a.address, a.denom ?? c.spec.denom, a.spendPerHour, atMs);
      case 'set_fault':
        return setFault({ chainId: a.chainId, endpoint: a.endpoint }, a.fault);
      case 'stall_chain':
        return c.stall(atMs);
      case 'resume_chain':
        return c.resume(atMs);
      case 'emit_tx':
        return emit(a.chainId, { type: 'Tx', events: a.events });
    }
  };

  // ---- catching up with the clock ----

  let nextStep = 0;
  const announced = new Map([...network.chains.values()].map((c) => [c.chainId, c.heightAt(startMs)]));
  const tick = () => {
    const now = clock.now();
    while (nextStep < scenario.timeline.length) {
      const step = scenario.timeline[nextStep]!;
      const atMs = startMs + step.atS * 1000;
      if (atMs > now) break;
      nextStep++;
      // Applied at the step's own time, so the outcome does not depend on how often we tick.
      for (const action of step.actions) apply(action, atMs);
    }
    for (const c of network.chains.values()) {
      const height = c.heightAt(now);
      const last = announced.get(c.chainId)!;
      if (height <= last) continue;
      announced.set(c.chainId, height);
      if (!hub.count(c.chainId)) continue;
      for (let h = Math.max(last + 1, height - MAX_BLOCKS_PER_TICK + 1); h <= height; h++) {
        hub.publish(c.chainId, newBlockEvent(c, h));
      }
    }
  };

  // ---- transport ----

  for (const spec of scenario.chains) {
    endpoints.set(
      spec.chainId,
      spec.endpointFaults.map((fault, index) => ({
        chainId: spec.chainId,
        index,
        fault: { ...fault },
        counters: new EndpointCounters(spec.chainId, index, () => chainUrl(spec.chainId, index)),
      })),
    );
  }
  const backend: SimBackend = {
    endpoint: (chainId, index) => endpoints.get(chainId)?.[index],
    faultOf: (e) => effectiveFault(chainFaults.get(e.chainId) ?? {}, e.fault),
    sync: tick,
    call: (e, req, garbage) => callRpcMethod(req, { chain: chain(e.chainId), nowMs: clock.now(), garbage }),
    hub,
    describe: () => ({
      simulator: 'tocsin sim-cosmos',
      chains: Object.fromEntries(
        [...endpoints.entries()].map(([id, list]) => [
          id,
          { url: chainUrl(id), endpoints: list.map((e) => chainUrl(id, e.index)) },
        ]),
      ),
    }),
  };
  const server = await startSimServer(backend, options.host ?? '127.0.0.1', options.port ?? 0);
  baseUrl = server.url;
  tick();
  const interval =
    (options.tickIntervalMs ?? 1000) > 0 ? setInterval(tick, options.tickIntervalMs ?? 1000) : undefined;
  interval?.unref();

  const allEndpoints = () => [...endpoints.values()].flat();
  return {
    url: server.url,
    startMs,
    chains: scenario.chains.map((c) => ({
      chainId: c.chainId,
      denom: c.denom,
      displayDenom: c.displayDenom,
      exponent: c.exponent,
      url: chainUrl(c.chainId),
      endpoints: c.endpointFaults.map((_, i) => chainUrl(c.chainId, i)),
    })),
    chainUrl,
    network,
    stats: () => allEndpoints().map((e) => e.counters.snapshot()),
    endpointStats: (chainId, endpoint = 0) => endpointOf(chainId, endpoint).counters.snapshot(),
    resetStats: () => {
      for (const e of allEndpoints()) e.counters.reset();
    },
    setFault,
    updateClient: (chainId, clientId, opts) => updateClient(chainId, clientId, clock.now(), opts?.height),
    freezeClient,
    stallChain: (chainId) => chain(chainId).stall(clock.now()),
    resumeChain: (chainId) => chain(chainId).resume(clock.now()),
    setBalance: (chainId, address, amount, denom) => {
      const c = chain(chainId);
      c.setBalance(address, denom ?? c.spec.denom, BigInt(amount), clock.now());
    },
    setSpendRate: (chainId, address, spendPerHour, denom) => {
      const c = chain(chainId);
      c.setSpendRate(address, denom ?? c.spec.denom, BigInt(spendPerHour), clock.now());
    },
    tick,
    emit,
    subscriberCount: (chainId) => hub.count(chainId),
    close: async () => {
      if (interval) clearInterval(interval);
      await server.close();
    },
  };
}
