import { type Clock, systemClock } from '@tocsin/runtime/clock';
import {
  type AbciEvent,
  type BlockSource,
  blockIdJson,
  blockJson,
  type CometEvent,
  type Endpoint,
  EndpointCounters,
  type EndpointStats,
  effectiveFault,
  type Fault,
  newBlockEvent,
  type RpcRequest,
  type RpcResponse,
  rpcError,
  rpcResult,
  type SimBackend,
  SubscriptionHub,
  startSimServer,
  statusJson,
  txEvent,
} from '@tocsin/sim-cosmos';
import { type AbciResult, runAbciQuery } from './abciRoutes.ts';
import {
  consumerAbciQuery,
  consumerBlockSource,
  consumerValidatorsJson,
  servedConsumer,
} from './consumerChains.ts';
import { ProviderModel, type SimValidator } from './providerModel.ts';
import {
  parseScenario,
  type Scenario,
  type ScenarioInput,
  scenarioSchema,
  type TimelineAction,
} from './scenario.ts';
import { TxLedger } from './txs.ts';

export interface IcsSimOptions {
  scenario: Scenario | ScenarioInput;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  clock?: Clock;
  /** Real ms between catch-ups with the clock (timeline steps, blocks). Default 1000; 0 = only on requests/tick(). */
  tickIntervalMs?: number;
  /**
   * Time zero (scenario times, the consumers present at start) is the first request rather than the start: a
   * demo whose watcher starts later still sees the whole timeline.
   */
  startOnFirstRequest?: boolean;
}

export interface IcsSim {
  url: string;
  chainId: string;
  /** `http://host:port/<chain_id>`: the CometBFT RPC URL (cosmjs appends /websocket for ws). */
  rpcUrl: string;
  /** The RPC URL of a consumer's own chain (answers once it launched): status, blocks, its CCV channel. */
  consumerRpcUrl(consumerChainId: string): string;
  startMs: number;
  model: ProviderModel;
  validator(moniker: string): SimValidator;
  /** Applies one timeline action now (tests drive the provider with it). */
  apply(action: TimelineAction | Record<string, unknown>): void;
  /** Sends a Tx with these ABCI events as they are (malformed or unknown ones too) to the websocket subscribers. */
  emitTx(events: AbciEvent[]): number;
  setFault(fault: Fault | null): void;
  dropWebSockets(): number;
  subscriberCount(): number;
  /** Requests served so far, by method and ABCI path (sim-cosmos' endpoint counters). */
  stats(): EndpointStats;
  /** Catches up with the clock: due timeline steps and BeginBlocks (launches, failed launches, deletions). */
  tick(): void;
  close(): Promise<void>;
}

/** NewBlock events announced at most per catch-up; BeginBlock transitions still run for every block. */
const MAX_BLOCKS_PER_TICK = 10;

export async function startIcsSim(options: IcsSimOptions): Promise<IcsSim> {
  const scenario = parseScenario(options.scenario);
  const clock = options.clock ?? systemClock;
  let startMs = clock.now();
  let started = !options.startOnFirstRequest;
  const blockMs = scenario.block_time_s * 1000;
  const chainId = scenario.chain_id;
  const chain: BlockSource = {
    chainId,
    heightAt: (ms: number) => scenario.start_height + Math.max(0, Math.floor((ms - startMs) / blockMs)),
    blockTimeMsAt: (h: number) => startMs + (h - scenario.start_height) * blockMs,
  };
  const model = new ProviderModel(scenario);
  const ledger = new TxLedger(model);
  if (started) for (const c of scenario.consumers) model.seed(c, startMs);
  const hub = new SubscriptionHub();
  let fault: Fault = {};
  let dropSockets = () => 0;

  /** A Tx in the block at `atMs`: indexed (tx_search), then sent to the websocket subscribers. */
  const deliver = (e: CometEvent) => {
    ledger.index(e);
    return hub.publish(chainId, e);
  };
  const tx = (events: AbciEvent[], atMs: number) => deliver(txEvent(chain, chain.heightAt(atMs), { events }));

  const apply = (a: TimelineAction, atMs: number) => {
    switch (a.action) {
      case 'create_consumer':
        return tx(model.create(a, atMs), atMs);
      case 'update_consumer':
        return tx(model.update(a, atMs), atMs);
      case 'remove_consumer':
        return tx(model.remove(a.consumer_id, atMs), atMs);
      case 'opt_in':
        return tx(model.optIn(a.consumer_id, a.validator, a.consumer_key), atMs);
      case 'opt_out':
        return tx(model.optOut(a.consumer_id, a.validator), atMs);
      case 'assign_consumer_key':
        return tx(model.assignKey(a.consumer_id, a.validator, a.consumer_key), atMs);
      case 'set_tokens':
        return model.setTokens(a.validator, BigInt(a.tokens), chain.heightAt(atMs));
      case 'set_fault':
        return setFault(a.fault ? { kind: a.fault.kind, latencyMs: a.fault.latency_ms } : null);
      case 'drop_websockets':
        return dropSockets();
      case 'halt_consumer':
        model.consumer(a.consumer_id).haltedAtMs = atMs;
        return;
      case 'set_relayer':
        model.relayerRunning = a.running;
        return;
    }
  };
  const setFault = (f: Fault | null) => {
    fault = { ...(f ?? {}) };
    // A node going down takes its WebSocket connections with it.
    if (fault.kind === 'down') dropSockets();
  };

  let nextStep = 0;
  let lastBlock = chain.heightAt(startMs);
  /** startOnFirstRequest: time zero is the first request; the consumers at start appear then. */
  const begin = () => {
    if (started) return;
    started = true;
    startMs = clock.now();
    lastBlock = chain.heightAt(startMs);
    for (const c of scenario.consumers) model.seed(c, startMs);
  };
  const tick = () => {
    if (!started) return;
    const now = clock.now();
    const target = chain.heightAt(now);
    const announceFrom = Math.max(lastBlock + 1, target - MAX_BLOCKS_PER_TICK + 1);
    // Steps and blocks in time order: a step at t sees every block up to t, a block sees every earlier step.
    for (;;) {
      const step = scenario.timeline[nextStep];
      const stepMs = step ? startMs + step.at_s * 1000 : Number.POSITIVE_INFINITY;
      const blockAt = lastBlock < target ? chain.blockTimeMsAt(lastBlock + 1) : Number.POSITIVE_INFINITY;
      if (stepMs <= now && stepMs < blockAt) {
        nextStep++;
        for (const action of step!.actions) apply(action, stepMs);
      } else if (blockAt !== Number.POSITIVE_INFINITY) {
        const h = ++lastBlock;
        const events = model.beginBlock(blockAt, h);
        if (h >= announceFrom || events.length) hub.publish(chainId, newBlockEvent(chain, h, events));
      } else break;
    }
  };

  const endpoint: Endpoint = {
    chainId,
    index: 0,
    fault: {},
    counters: new EndpointCounters(chainId, 0, () => rpcUrl),
  };
  const consumerEndpoints = new Map<string, Endpoint>();
  const consumerEndpoint = (id: string): Endpoint | undefined => {
    if (!servedConsumer(model, id)) return undefined;
    const e = consumerEndpoints.get(id) ?? {
      chainId: id,
      index: 0,
      fault: {},
      counters: new EndpointCounters(id, 0, () => `${server.url}/${encodeURIComponent(id)}`),
    };
    consumerEndpoints.set(id, e);
    return e;
  };
  const backend: SimBackend = {
    endpoint: (id, index) => (index !== 0 ? undefined : id === chainId ? endpoint : consumerEndpoint(id)),
    faultOf: (e) => (e.chainId === chainId ? effectiveFault(fault, {}) : effectiveFault({}, e.fault)),
    sync: () => {
      begin();
      tick();
    },
    call: (e, req) => {
      if (e.chainId === chainId) return providerCall(req);
      const c = servedConsumer(model, e.chainId);
      if (!c) return rpcError(req.id, -32603, 'Internal error', `${e.chainId} is not running`);
      const source = consumerBlockSource(c, blockMs);
      if (req.method === 'validators')
        return rpcResult(req.id, consumerValidatorsJson(c, source.heightAt(clock.now())));
      return call(req, source, (path) => consumerAbciQuery(model, c, path, clock.now()));
    },
    hub,
    describe: () => ({ simulator: 'tocsin sim-ics', chains: { [chainId]: { url: rpcUrl } } }),
  };
  const providerCall = (req: RpcRequest): RpcResponse => {
    const p = (req.params ?? {}) as Record<string, unknown>;
    if (req.method === 'broadcast_tx_sync') {
      const t = ledger.broadcast(String(p.tx ?? ''), chain.heightAt(clock.now()) + 1);
      if (!t.code) deliver(txEvent(chain, t.height, { events: t.events, tx: t.tx }));
      return rpcResult(req.id, {
        code: t.code,
        data: '',
        log: t.log,
        codespace: t.code ? 'sdk' : '',
        hash: t.hash,
      });
    }
    if (req.method === 'tx_search') return rpcResult(req.id, ledger.search(p));
    return call(req, chain, (path, data, height) =>
      path === '/cosmos.auth.v1beta1.Query/Account'
        ? ledger.account(data)
        : runAbciQuery(model, path, data, height),
    );
  };
  const call = (
    req: RpcRequest,
    source: BlockSource,
    abci: (path: string, data: Uint8Array, height: number) => AbciResult,
  ): RpcResponse => {
    const now = clock.now();
    const latest = source.heightAt(now);
    try {
      switch (req.method) {
        case 'status':
          return rpcResult(req.id, statusJson(source, now));
        case 'health':
          return rpcResult(req.id, {});
        case 'block':
          return rpcResult(req.id, {
            block_id: blockIdJson(source, latest),
            block: blockJson(source, latest),
          });
        case 'abci_query': {
          const p = (req.params ?? {}) as Record<string, unknown>;
          const path = String(p.path ?? '');
          const data = Buffer.from(String(p.data ?? ''), 'hex');
          // A height (string) asks for the state at that block; none or 0 means the latest.
          const asked = Number(p.height ?? 0) || 0;
          if (asked > latest)
            return rpcResult(req.id, {
              response: {
                code: 26,
                log: `cannot query with height in the future; please provide a valid height: invalid height`,
                info: '',
                index: '0',
                key: null,
                value: null,
                proofOps: null,
                height: String(asked),
                codespace: 'sdk',
              },
            });
          const height = asked || latest;
          const r = abci(path, data, height);
          return rpcResult(req.id, {
            response: {
              code: r.code,
              log: r.log,
              info: '',
              index: '0',
              key: null,
              value: r.value.length ? Buffer.from(r.value).toString('base64') : null,
              proofOps: null,
              height: String(height),
              codespace: r.codespace,
            },
          });
        }
        default:
          return rpcError(req.id, -32601, 'Method not found');
      }
    } catch (err) {
      return rpcError(req.id, -32603, 'Internal error', (err as Error).message);
    }
  };

  const server = await startSimServer(backend, options.host ?? '127.0.0.1', options.port ?? 0);
  const rpcUrl = `${server.url}/${encodeURIComponent(chainId)}`;
  dropSockets = () => server.dropWebSockets(chainId);
  tick();
  const interval =
    (options.tickIntervalMs ?? 1000) > 0 ? setInterval(tick, options.tickIntervalMs ?? 1000) : undefined;
  interval?.unref();

  const actionSchema = scenarioSchema.shape.timeline.unwrap().element.shape.actions.element;
  return {
    url: server.url,
    chainId,
    rpcUrl,
    consumerRpcUrl: (id) => `${server.url}/${encodeURIComponent(id)}`,
    get startMs() {
      return startMs;
    },
    model,
    validator: (m) => model.validator(m),
    apply: (a) => {
      tick();
      apply(actionSchema.parse(a), clock.now());
    },
    emitTx: (events) => tx(events, clock.now()),
    setFault,
    dropWebSockets: () => dropSockets(),
    subscriberCount: () => hub.count(chainId),
    stats: () => endpoint.counters.snapshot(),
    tick,
    close: async () => {
      if (interval) clearInterval(interval);
      await server.close();
    },
  };
}
