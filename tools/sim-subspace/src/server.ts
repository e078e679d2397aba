import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { Connection, type SimNode } from './node.ts';
import { type ChainInfo, callMethod, RpcError } from './rpc.ts';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerBackend {
  /** The node of a URL path: `/` is the first node, `/<name>` or `/<index>` any node. */
  node(path: string): SimNode | undefined;
  info: ChainInfo;
  /** Brings the simulation up to the clock before a request is answered. */
  sync(): void;
}

export interface SimServer {
  /** `ws://host:port` */
  url: string;
  close(): Promise<void>;
}

interface RpcRequest {
  jsonrpc?: string;
  id?: number | string | null;
  method?: unknown;
  params?: unknown;
}

function answer(
  backend: ServerBackend,
  node: SimNode,
  conn: Connection | undefined,
  req: RpcRequest,
): object {
  const id = req.id ?? null;
  if (typeof req !== 'object' || req === null || typeof req.method !== 'string') {
    return { jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid request' } };
  }
  try {
    backend.sync();
    const params = Array.isArray(req.params) ? req.params : [];
    return { jsonrpc: '2.0', id, result: callMethod(node, backend.info, conn, req.method, params) };
  } catch (err) {
    const e =
      err instanceof RpcError ? err : new RpcError(-32603, `Internal error: ${(err as Error).message}`);
    return { jsonrpc: '2.0', id, error: { code: e.code, message: e.message, data: e.data } };
  }
}

function handleMessage(
  backend: ServerBackend,
  node: SimNode,
  conn: Connection | undefined,
  raw: string,
): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  if (Array.isArray(parsed))
    return JSON.stringify(parsed.map((r) => answer(backend, node, conn, r as RpcRequest)));
  return JSON.stringify(answer(backend, node, conn, parsed as RpcRequest));
}

const pathOf = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://sim').pathname;

/** One port for every node: JSON-RPC over WebSocket (subscriptions) and over HTTP POST (one-shot calls). */
export async function startServer(backend: ServerBackend, host: string, port: number): Promise<SimServer> {
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const node = backend.node(pathOf(req));
    if (!node?.connected) {
      res.writeHead(node ? 503 : 404).end(node ? 'node disconnected' : 'no such node');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end('JSON-RPC: POST or WebSocket');
      return;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      const body = handleMessage(backend, node, undefined, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const node = backend.node(pathOf(req));
    if (!node?.connected) {
      socket.end(`HTTP/1.1 ${node ? '503 Service Unavailable' : '404 Not Found'}\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new Connection(
        (m) => {
          if (ws.readyState === ws.OPEN) ws.send(m);
        },
        () => ws.terminate(),
      );
      node.connections.add(conn);
      ws.on('message', (data) => {
        conn.send(handleMessage(backend, node, conn, data.toString()));
      });
      ws.on('close', () => node.connections.delete(conn));
      ws.on('error', () => ws.terminate());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `ws://${shownHost}:${addr.port}`,
    close: async () => {
      // A close handshake first (clients see 1001 "going away"), then whatever is left is cut.
      const open = [...wss.clients];
      await Promise.race([
        Promise.all(
          open.map(
            (c) =>
              new Promise<void>((resolve) => {
                c.once('close', () => resolve());
                c.close(1001, 'simulator closing');
              }),
          ),
        ),
        new Promise((resolve) => setTimeout(resolve, 500)),
      ]);
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
