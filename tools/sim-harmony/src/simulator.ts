import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type NodeState, nodeMetadata } from './metadata.ts';
import { type NodePatch, nodePatch, parseScenario, type Scenario, type ScenarioInput } from './scenario.ts';

export interface HarmonySimOptions {
  scenario: Scenario | ScenarioInput;
  /** Default 0 (any free port); `tocsin sim harmony` uses 9500, Harmony's HTTP RPC port. */
  port?: number;
  host?: string;
  /** Injected clock (ms): the timeline and the block height follow it. */
  clock?: () => number;
}

export interface HarmonySim {
  /** http://host:port: the first node answers on `/`, every node on `/<name>`. */
  url: string;
  nodes: { name: string; url: string }[];
  /** A node's URL (its own path on the shared port). */
  nodeUrl(name: string): string;
  /** Changes a node now (on top of the timeline), e.g. `{ mode: 'Normal' }` or `{ answer: 'down' }`. */
  set(name: string, patch: NodePatch): void;
  /** A node's state now (timeline and changes applied). */
  state(name: string): NodeState;
  /** getNodeMetadata requests answered (or refused) per node. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

const METHODS = new Set(['hmyv2_getNodeMetadata', 'hmy_getNodeMetadata']);
const MAX_BODY = 1_048_576;

/**
 * A Harmony node's HTTP JSON-RPC (PROTOCOLS.md §5.1) for several nodes at once: `hmyv2_getNodeMetadata` and its
 * `hmy_` alias answer with the node's BLS keys, consensus mode and backup flag, scripted over time by the
 * scenario's timeline (against the injected clock) or changed by a test with `set`.
 */
export async function startHarmonySim(opts: HarmonySimOptions): Promise<HarmonySim> {
  const scenario = parseScenario(opts.scenario);
  const clock = opts.clock ?? Date.now;
  const startedAt = clock();
  const overrides = new Map<string, NodePatch[]>();
  const requests = new Map<string, number>();
  const sockets = new Set<Socket>();

  const state = (name: string): NodeState => {
    const spec = scenario.nodes.find((n) => n.name === name);
    if (!spec) throw new Error(`sim-harmony: no node named "${name}"`);
    const s: NodeState = {
      name,
      shardId: spec.shard_id,
      blskeys: spec.blskeys,
      mode: spec.mode,
      isBackup: spec.is_backup,
      answer: spec.answer,
      peerid: spec.peerid ?? `12D3KooWSim${name.replace(/[^a-z0-9]/g, '')}`,
      role: spec.role,
    };
    const elapsed = clock() - startedAt;
    const patches = [
      ...scenario.timeline.filter((t) => t.node === name && t.at <= elapsed).map((t) => t.set),
      ...(overrides.get(name) ?? []),
    ];
    for (const p of patches) {
      if (p.blskeys) s.blskeys = p.blskeys;
      if (p.mode) s.mode = p.mode;
      if (p.is_backup !== undefined) s.isBackup = p.is_backup;
      if (p.answer) s.answer = p.answer;
    }
    return s;
  };

  const answerOne = (node: NodeState, req: unknown): Record<string, unknown> => {
    const r = (req ?? {}) as { id?: unknown; method?: unknown; jsonrpc?: unknown };
    const id = r.id ?? null;
    if (typeof r.method !== 'string')
      return { jsonrpc: '2.0', id, error: { code: -32600, message: 'invalid request' } };
    if (!METHODS.has(r.method))
      return {
        jsonrpc: '2.0',
        id,
        error: { code: -32601, message: `the method ${r.method} does not exist/is not available` },
      };
    if (node.answer === 'error')
      return { jsonrpc: '2.0', id, error: { code: -32000, message: 'node is not ready (simulated)' } };
    const now = clock();
    const block = scenario.start_block + Math.floor((now - startedAt) / Math.max(1, scenario.block_time));
    return {
      jsonrpc: '2.0',
      id,
      result: nodeMetadata(node, scenario, { block, startedAtMs: startedAt, nowMs: now }),
    };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const name = path === '' ? scenario.nodes[0]!.name : decodeURIComponent(path.slice(1));
    if (!scenario.nodes.some((n) => n.name === name)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no simulated node "${name}"\n`);
      return;
    }
    requests.set(name, (requests.get(name) ?? 0) + 1);
    const node = state(name);
    if (node.answer === 'down') {
      // A node that stopped answering: the connection closes without a response.
      req.socket.destroy();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } }));
      return;
    }
    const out = Array.isArray(parsed) ? parsed.map((r) => answerOne(node, r)) : answerOne(node, parsed);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: opts.port ?? 0 }, () => resolve());
  });
  const addr = server.address();
  const url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : opts.port}`;
  const nodeUrl = (name: string) => {
    state(name);
    return `${url}/${name}`;
  };
  return {
    url,
    nodes: scenario.nodes.map((n) => ({ name: n.name, url: `${url}/${n.name}` })),
    nodeUrl,
    set(name, patch) {
      state(name);
      const p = nodePatch.parse(patch);
      overrides.set(name, [...(overrides.get(name) ?? []), p]);
    },
    state,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
