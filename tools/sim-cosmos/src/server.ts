import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { EndpointCounters } from './endpointStats.ts';
import type { EffectiveFault, Fault } from './faults.ts';
import {
  decodeRpcRequest,
  type RpcId,
  type RpcRequest,
  type RpcResponse,
  rpcError,
  rpcResult,
} from './rpcMethods.ts';
import type { Subscriber, SubscriptionHub } from './subscriptions.ts';

/** One URL of a chain: `/<chain_id>` (= endpoint 0) or `/<chain_id>/<n>`, each with its own faults and counters. */
export interface Endpoint {
  chainId: string;
  index: number;
  fault: Fault;
  readonly counters: EndpointCounters;
}

/** What the transport needs from the simulator. */
export interface SimBackend {
  endpoint(chainId: string, index: number): Endpoint | undefined;
  faultOf(endpoint: Endpoint): EffectiveFault;
  /** Brings the model up to the clock (timeline steps, new blocks) before a request is answered. */
  sync(): void;
  call(endpoint: Endpoint, req: RpcRequest, garbage: boolean): RpcResponse;
  hub: SubscriptionHub;
  /** Body of `GET /`: a human-readable list of chains and URLs. */
  describe(): Record<string, unknown>;
}

export interface SimServer {
  /** `http://host:port` without a trailing slash. */
  url: string;
  /** Closes the open WebSocket connections (of one chain, or all), as a node restart or a proxy would. */
  dropWebSockets(chainId?: string): number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface Route {
  endpoint: Endpoint;
  /** What follows the endpoint path: '' for JSON-RPC POST, 'websocket', or a method name for URI-style GET. */
  rest: string;
}

/** `/<chain>[/<n>][/<rest>]`: a numeric second segment selects the endpoint, anything after is `rest`. */
function route(backend: SimBackend, url: string | undefined): Route | undefined {
  const pathname = new URL(url ?? '/', 'http://sim').pathname;
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [chainId, second, ...more] = segments;
  if (!chainId) return undefined;
  const hasIndex = second !== undefined && /^\d+$/.test(second);
  const endpoint = backend.endpoint(chainId, hasIndex ? Number(second) : 0);
  if (!endpoint) return undefined;
  const rest = hasIndex ? more : second === undefined ? [] : [second, ...more];
  return { endpoint, rest: rest.join('/') };
}

export async function startSimServer(backend: SimBackend, host: string, port: number): Promise<SimServer> {
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    ms > 0
      ? new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        })
      : Promise.resolve();

  const server = http.createServer((req, res) => {
    handleHttp(backend, req, res, wait).catch((err: Error) => {
      if (!res.headersSent && !res.destroyed)
        sendJson(res, 500, rpcError(null, -32603, 'Internal error', err.message));
    });
  });
  server.keepAliveTimeout = 30_000;

  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Map<WebSocket, Endpoint>();
  server.on('upgrade', (req, socket: Socket, head) => {
    const r = route(backend, req.url);
    if (r?.rest !== 'websocket') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    backend.sync();
    const fault = backend.faultOf(r.endpoint);
    r.endpoint.counters.countFault(fault.kind);
    if (fault.kind === 'down') return void socket.destroy();
    if (fault.kind === 'http_500') {
      socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.set(ws, r.endpoint);
      ws.once('close', () => sockets.delete(ws));
      serveWebSocket(backend, r.endpoint, ws, wait);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}`,
    dropWebSockets: (chainId) => {
      let n = 0;
      for (const [ws, endpoint] of sockets) {
        if (chainId !== undefined && endpoint.chainId !== chainId) continue;
        ws.terminate();
        n++;
      }
      return n;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      // Requests held by the `timeout` fault never finish on their own.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleHttp(
  backend: SimBackend,
  req: IncomingMessage,
  res: ServerResponse,
  wait: (ms: number) => Promise<void>,
): Promise<void> {
  const r = route(backend, req.url);
  if (!r) {
    const isRoot = new URL(req.url ?? '/', 'http://sim').pathname === '/';
    if (isRoot && req.method === 'GET') return sendJson(res, 200, backend.describe());
    return sendJson(res, 404, { error: `no simulated chain at ${req.url}`, ...backend.describe() });
  }
  const { endpoint } = r;
  // Catch up first, so a fault switched on or off by the timeline applies to this very request.
  backend.sync();
  const fault = backend.faultOf(endpoint);
  if (fault.kind === 'down') {
    // A shared port cannot refuse one path's connections; dropping the socket is the closest thing.
    endpoint.counters.countRefused();
    endpoint.counters.countFault('down');
    req.socket.destroy();
    return;
  }
  const done = endpoint.counters.openRequest();
  res.once('close', done);
  const body = req.method === 'POST' ? await readBody(req) : '';
  endpoint.counters.countLatency(fault.latencyMs);
  await wait(fault.latencyMs);
  endpoint.counters.countFault(fault.kind);
  if (fault.kind === 'timeout') return; // accepted and never answered; the client has to give up
  if (fault.kind === 'http_500') {
    if (!res.destroyed) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('Internal Server Error');
    }
    return;
  }
  const garbage = fault.kind === 'garbage';

  if (req.method === 'GET') {
    // URI-style GET (`/<chain>/status`, `/<chain>/block?height=5`) for curl; params arrive as strings.
    if (!r.rest) return sendJson(res, 200, backend.describe());
    const params = Object.fromEntries(
      [...new URL(req.url ?? '/', 'http://sim').searchParams].map(([k, v]) => [
        k,
        v.replace(/^"(.*)"$/, '$1'),
      ]),
    );
    return sendJson(res, 200, callOne(backend, endpoint, { id: -1, method: r.rest, params }, garbage));
  }
  if (req.method !== 'POST' || r.rest)
    return sendJson(res, 405, { error: 'POST JSON-RPC to the endpoint URL' });

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return sendJson(res, 200, rpcError(null, -32700, 'Parse error'));
  }
  if (Array.isArray(parsed)) {
    endpoint.counters.countBatch();
    if (!parsed.length) return sendJson(res, 200, rpcError(null, -32600, 'Invalid Request', 'empty batch'));
    return sendJson(
      res,
      200,
      parsed.map((raw) => answer(backend, endpoint, raw, garbage)),
    );
  }
  sendJson(res, 200, answer(backend, endpoint, parsed, garbage));
}

function answer(backend: SimBackend, endpoint: Endpoint, raw: unknown, garbage: boolean): RpcResponse {
  const decoded = decodeRpcRequest(raw);
  if ('jsonrpc' in decoded) {
    endpoint.counters.countCall('(invalid)');
    return decoded;
  }
  return callOne(backend, endpoint, decoded, garbage);
}

function callOne(backend: SimBackend, endpoint: Endpoint, req: RpcRequest, garbage: boolean): RpcResponse {
  const path = req.method === 'abci_query' ? abciPathOf(req.params) : undefined;
  endpoint.counters.countCall(req.method, path);
  if (req.method === 'subscribe' || req.method === 'unsubscribe' || req.method === 'unsubscribe_all') {
    return rpcError(req.id, -32603, 'Internal error', 'subscriptions are only available over /websocket');
  }
  return backend.call(endpoint, req, garbage);
}

function abciPathOf(params: unknown): string {
  const p = Array.isArray(params) ? params[0] : (params as Record<string, unknown> | null)?.path;
  return String(p ?? '');
}

function queryOf(params: unknown): string {
  const q = Array.isArray(params) ? params[0] : (params as Record<string, unknown> | null)?.query;
  return String(q ?? '');
}

function serveWebSocket(
  backend: SimBackend,
  endpoint: Endpoint,
  ws: WebSocket,
  wait: (ms: number) => Promise<void>,
): void {
  endpoint.counters.wsOpened();
  const subscriber: Subscriber = { send: (m) => ws.readyState === ws.OPEN && ws.send(m) };
  const send = (r: RpcResponse) => subscriber.send(JSON.stringify(r));
  ws.on('close', () => {
    endpoint.counters.wsClosed();
    backend.hub.unsubscribeAll(subscriber);
  });
  ws.on('message', async (data) => {
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString());
    } catch {
      return send(rpcError(null, -32700, 'Parse error'));
    }
    backend.sync();
    const fault = backend.faultOf(endpoint);
    endpoint.counters.countLatency(fault.latencyMs);
    await wait(fault.latencyMs);
    endpoint.counters.countFault(fault.kind);
    if (fault.kind === 'down') return void ws.terminate();
    if (fault.kind === 'timeout') return;
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      const req = decodeRpcRequest(item);
      if ('jsonrpc' in req) {
        send(req);
        continue;
      }
      if (fault.kind === 'http_500') {
        endpoint.counters.countCall(req.method);
        send(rpcError(req.id, -32603, 'Internal error', 'simulated server error'));
        continue;
      }
      send(wsCall(backend, endpoint, subscriber, req, fault.kind === 'garbage'));
    }
  });
}

function wsCall(
  backend: SimBackend,
  endpoint: Endpoint,
  subscriber: Subscriber,
  req: RpcRequest,
  garbage: boolean,
): RpcResponse {
  const ack = (id: RpcId, fn: () => void): RpcResponse => {
    endpoint.counters.countCall(req.method);
    try {
      fn();
      return rpcResult(id, {});
    } catch (err) {
      return rpcError(id, -32603, 'Internal error', (err as Error).message);
    }
  };
  switch (req.method) {
    case 'subscribe':
      return ack(req.id, () =>
        backend.hub.subscribe(subscriber, endpoint.chainId, req.id, queryOf(req.params)),
      );
    case 'unsubscribe':
      return ack(req.id, () => backend.hub.unsubscribe(subscriber, queryOf(req.params)));
    case 'unsubscribe_all':
      return ack(req.id, () => backend.hub.unsubscribeAll(subscriber));
    default:
      return callOne(backend, endpoint, req, garbage);
  }
}
