import { type Clock, systemClock } from '@tocsin/runtime';
import { BlockTree, type SimAccount, type SimBlock } from './chain.ts';
import { SubspaceCodec } from './codec.ts';
import type { TxSpec } from './extrinsics.ts';
import { type HeadKind, SimNode } from './node.ts';
import { Producer } from './producer.ts';
import {
  isParsedScenario,
  parseAmount,
  parseScenario,
  type Scenario,
  type ScenarioAction,
  type ScenarioInput,
} from './scenario.ts';
import { actionSchema } from './scenarioSchema.ts';
import { type SimServer, startServer } from './server.ts';

export interface SubspaceSimOptions {
  /** A parsed scenario (`loadScenario`/`parseScenario`) or a raw scenario object to validate. */
  scenario: Scenario | ScenarioInput;
  /** Simulated time (`@tocsin/runtime` Clock). `at_s` and block times are relative to its value at start. */
  clock?: Clock;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * How often (real ms) to catch up with the clock on its own: run due timeline steps, build due blocks.
   * Every request catches up first as well. Default 200; 0 turns the timer off (tests call `tick()`).
   */
  tickIntervalMs?: number;
  /**
   * Simulated time stands still until the first request: the timeline (`at_s`, block production) starts then, so a
   * demo whose ingestor connects late still sees the whole scenario. Block times follow on from the history.
   */
  startOnFirstRequest?: boolean;
}

export interface NodeInfo {
  name: string;
  /** `ws://host:port/<name>` (HTTP POST JSON-RPC works at the same path with http://). */
  url: string;
}

export interface SubspaceSim {
  /** `ws://host:port`: the first node (a bare URL as `@polkadot/api` users expect). */
  url: string;
  nodes: NodeInfo[];
  /** The ws URL of a node by name or index. */
  nodeUrl(node?: string | number): string;
  /** The node model (best, finalized, known blocks, connection state). */
  node(node?: string | number): SimNode;
  genesisHash: string;
  /** The clock's value at start (simulated time zero; with startOnFirstRequest it is reached at the first request). */
  startMs: number;
  /** startOnFirstRequest: whether a request has come (simulated time runs). Always true otherwise. */
  readonly started: boolean;
  /** Scenario accounts by name: SS58 address (prefix 6094) and hex id. */
  accounts: Record<string, { address: string; id: string }>;
  tree: BlockTree;
  codec: SubspaceCodec;
  /** Runs due timeline steps and builds due blocks. */
  tick(): void;
  /** Runs one scenario action now (same format as the timeline's); returns the blocks it built. */
  apply(action: ScenarioAction | Record<string, unknown>): SimBlock[];
  /** Queues an extrinsic for the next block of the producing branch. */
  queue(tx: TxSpec): void;
  /** Builds `n` blocks on the producing branch (or `branch`), announced to the nodes. */
  produce(n?: number, branch?: string): SimBlock[];
  /** A branch of `blocks` blocks on `parent` (`branch@height`, a height on main or a hash). */
  fork(name: string, parent: string | number, blocks: number): SimBlock[];
  extend(branch: string, blocks: number): SimBlock[];
  /** Nodes (default all) adopt the branch's tip as best: a reorg (backwards when the tip is lower). */
  switchTo(branch: string, opts?: { nodes?: string[]; produce?: boolean }): void;
  /** Announces blocks on a node's subscriptions in the given order (for out-of-order delivery). */
  announce(node: string | number, blocks: Array<string | number>, as?: HeadKind[]): void;
  /** A block by reference: `branch@height`, `branch@tip`, a height on main, or a hash. */
  block(ref: string | number): SimBlock;
  disconnect(node: string | number): void;
  reconnect(node: string | number): void;
  /** The producing branch's state: tip, block time, slots per block, farmers, next block time. */
  producer: Producer;
  close(): Promise<void>;
}

export async function startSubspaceSim(options: SubspaceSimOptions): Promise<SubspaceSim> {
  const scenario = isParsedScenario(options.scenario) ? options.scenario : parseScenario(options.scenario);
  const clock = options.clock ?? systemClock;
  const startMs = clock.now();
  const codec = await SubspaceCodec.create();
  const { chain } = scenario;
  const historyBlockMs = (chain.block_time_s || 6) * 1000;
  const tree = new BlockTree(codec, {
    genesisMs: startMs - chain.history_blocks * historyBlockMs,
    specVersion: chain.spec_version,
    transactionVersion: chain.transaction_version,
    accounts: scenario.accounts.map((a) => ({
      name: a.name,
      uri: a.uri,
      address: a.address,
      balance: parseAmount(a.balance),
    })),
    sudo: scenario.sudo,
  });
  const nodes = scenario.nodes.map(
    (n) =>
      new SimNode(tree, {
        name: n.name,
        follows: n.follows,
        sees: n.sees,
        delivery: n.delivery,
        peers: n.peers,
        finalityDepth: chain.finality_depth,
      }),
  );
  const producer = new Producer(tree, nodes, scenario, startMs);
  buildHistory(producer, tree, scenario, historyBlockMs);

  const timeSteps = scenario.timeline
    .filter((s) => s.at_s !== undefined)
    .map((s) => ({ atMs: startMs + (s.at_s as number) * 1000, actions: s.actions }))
    .sort((a, b) => a.atMs - b.atMs);
  // Simulated time: the clock, less the wait for the first request (startOnFirstRequest).
  let started = !options.startOnFirstRequest;
  let offset = 0;
  const now = () => (started ? clock.now() - offset : startMs);
  const begin = () => {
    if (started) return;
    started = true;
    offset = clock.now() - startMs;
  };
  let nextStep = 0;
  const tick = () => {
    if (!started) return;
    const now = clock.now() - offset;
    for (;;) {
      const step = timeSteps[nextStep];
      if (!step || step.atMs > now) break;
      producer.catchUp(step.atMs - 1);
      nextStep++;
      for (const a of step.actions) producer.apply(a, step.atMs);
    }
    producer.catchUp(now);
  };

  const nodeOf = (ref: string | number = 0): SimNode => {
    const n =
      typeof ref === 'number' || /^\d+$/.test(ref) ? nodes[Number(ref)] : nodes.find((x) => x.name === ref);
    if (!n) throw new Error(`unknown node ${ref}`);
    return n;
  };

  const server: SimServer = await startServer(
    {
      node: (path) => {
        const seg = path.split('/').filter(Boolean)[0];
        if (seg === undefined) return nodes[0];
        try {
          return nodeOf(decodeURIComponent(seg));
        } catch {
          return undefined;
        }
      },
      info: { chainName: chain.name },
      sync: () => {
        begin();
        tick();
      },
    },
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );
  const interval = options.tickIntervalMs ?? 200;
  const timer = interval > 0 ? setInterval(tick, interval) : undefined;
  timer?.unref();

  const accounts = (list: Map<string, SimAccount>) =>
    Object.fromEntries([...list].map(([name, a]) => [name, { address: a.address, id: a.id }]));
  const nodeUrl = (ref?: string | number) => `${server.url}/${encodeURIComponent(nodeOf(ref).name)}`;
  const apply = (action: ScenarioAction | Record<string, unknown>) =>
    producer.apply(actionSchema.parse(action), now());

  return {
    url: server.url,
    nodes: nodes.map((n) => ({ name: n.name, url: `${server.url}/${encodeURIComponent(n.name)}` })),
    nodeUrl,
    node: nodeOf,
    genesisHash: tree.genesis.hash,
    startMs,
    get started() {
      return started;
    },
    get accounts() {
      return accounts(tree.accounts);
    },
    tree,
    codec,
    tick,
    apply,
    queue: (tx) => {
      producer.pending.push(tx);
    },
    produce: (n = 1, branch) => producer.produce(n, branch),
    fork: (name, parent, blocks) => apply({ fork: { name, parent, blocks } }),
    extend: (branch, blocks) => apply({ extend: { branch, blocks } }),
    switchTo: (branch, opts = {}) => {
      apply({ switch: { branch, nodes: opts.nodes, produce: opts.produce ?? true } });
    },
    announce: (node, blocks, as = ['all']) => {
      nodeOf(node).announce(
        blocks.map((b) => tree.resolve(b)),
        as,
      );
    },
    block: (ref) => tree.resolve(ref),
    disconnect: (node) => nodeOf(node).disconnect(),
    reconnect: (node) => {
      nodeOf(node).connected = true;
    },
    producer,
    close: async () => {
      if (timer) clearInterval(timer);
      await server.close();
    },
  };
}

/** Pre-builds `history_blocks` blocks ending at start, with round-robin transfers between signing accounts. */
function buildHistory(producer: Producer, tree: BlockTree, scenario: Scenario, blockMs: number): void {
  const { history_blocks: n, history_transfers_per_block: perBlock, history_signatures } = scenario.chain;
  const payers = [...tree.accounts.values()].filter((a) => a.pair || history_signatures === 'fake');
  if (perBlock > 0 && payers.length < 2) throw new Error('history transfers need at least two accounts');
  for (let k = 1; k <= n; k++) {
    const txs: TxSpec[] = [];
    for (let j = 0; j < perBlock; j++) {
      const from = payers[(k + j) % payers.length] as SimAccount;
      const to = payers[(k + j + 1) % payers.length] as SimAccount;
      txs.push({ kind: 'transfer', from: from.name, to: to.name, amount: 10n ** 18n + BigInt(k) });
    }
    producer.build(producer.branch, tree.genesis.timestampMs + k * blockMs, {
      txs,
      fakeSignatures: history_signatures === 'fake',
    });
  }
}
