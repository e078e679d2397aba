import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';
import type { RpcClient } from '@cosmjs/tendermint-rpc';
import { redactUrl, redactUrlsIn } from '@tocsin/runtime';
import { EndpointFailure, EndpointSkipped } from './endpointFailure.ts';

type JsonRpcRequest = Parameters<RpcClient['execute']>[0];
type JsonRpcSuccess = Awaited<ReturnType<RpcClient['execute']>>;

interface Pending {
  request: JsonRpcRequest;
  resolve(r: JsonRpcSuccess): void;
  reject(e: Error): void;
}

export interface BoundedBatchClientOptions {
  url: string;
  /** HTTP requests open at once, never more. */
  maxConcurrency: number;
  /** JSON-RPC calls per HTTP request. */
  batchSize: number;
  timeoutMs: number;
  /** Largest answer read, in bytes; past it the request is aborted and fails as `too_large`. */
  maxResponseBytes: number;
}

/**
 * A cosmjs `RpcClient` that sends JSON-RPC calls as CometBFT batches over HTTP with a hard cap on open requests.
 *
 * cosmjs' own HttpBatchClient flushes its queue on a timer whatever is in flight, so thousands of queued queries
 * become hundreds of simultaneous requests. Here calls queue while `maxConcurrency` requests are open and leave in
 * full batches as slots free up: the cap holds, and batching adapts to load (a lone call leaves at once).
 * Every failure is an `EndpointFailure` with its kind, decided here at the edge.
 * Requests go over node:http(s) with a keep-alive agent of `maxConcurrency` sockets.
 */
export class BoundedBatchClient implements RpcClient {
  readonly url: string;
  private readonly queue: Pending[] = [];
  private open = 0;
  private scheduled = false;
  private closed = false;
  /** The most requests ever open at once (also checked by the simulator's own counters in tests). */
  maxOpenSeen = 0;
  httpRequests = 0;

  private readonly target: URL;
  private readonly agent: http.Agent;

  constructor(private readonly opts: BoundedBatchClientOptions) {
    this.url = opts.url;
    this.target = new URL(opts.url);
    const agentOptions = { keepAlive: true, maxSockets: opts.maxConcurrency };
    this.agent =
      this.target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  }

  execute = (request: JsonRpcRequest): Promise<JsonRpcSuccess> => {
    if (this.closed) return Promise.reject(new EndpointSkipped(`${redactUrl(this.url)} is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  };

  disconnect = (): void => {
    this.closed = true;
    this.failQueued(new EndpointSkipped(`${redactUrl(this.url)} disconnected`));
    this.agent.destroy();
  };

  /** Rejects every call still waiting for a slot (the endpoint was given up on); open requests finish on their own. */
  failQueued(err: Error): void {
    for (const p of this.queue.splice(0)) p.reject(err);
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Calls made in the same turn of the event loop travel together. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.open < this.opts.maxConcurrency && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.batchSize);
      this.open++;
      this.maxOpenSeen = Math.max(this.maxOpenSeen, this.open);
      this.httpRequests++;
      void this.send(batch).finally(() => {
        this.open--;
        this.pump();
      });
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    let answers: unknown;
    try {
      answers = await this.post(batch.map((p) => p.request));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    const list = Array.isArray(answers) ? answers : [answers];
    const byId = new Map<unknown, Record<string, unknown>>();
    for (const a of list) {
      if (typeof a === 'object' && a !== null && 'id' in a)
        byId.set((a as { id: unknown }).id, a as Record<string, unknown>);
    }
    for (const p of batch) {
      const a = byId.get(p.request.id);
      if (!a) {
        p.reject(new EndpointFailure('decode', `no answer for call ${String(p.request.id)} in the batch`));
      } else if (a.error !== undefined) {
        p.reject(new EndpointFailure('rpc', `JSON-RPC error ${JSON.stringify(a.error).slice(0, 300)}`));
      } else if (a.result === undefined || a.jsonrpc !== '2.0') {
        p.reject(new EndpointFailure('decode', 'JSON-RPC answer without result'));
      } else {
        p.resolve({ jsonrpc: '2.0', id: p.request.id, result: a.result } as JsonRpcSuccess);
      }
    }
  }

  private async post(body: JsonRpcRequest[]): Promise<unknown> {
    const { status, text } = await httpPost(
      this.agent,
      this.target,
      JSON.stringify(body.length === 1 ? body[0] : body),
      this.opts.timeoutMs,
      this.opts.maxResponseBytes,
    );
    if (status >= 400)
      throw new EndpointFailure('http', `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim());
    try {
      return JSON.parse(text);
    } catch {
      throw new EndpointFailure('decode', `answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
}

/**
 * One POST over node:http(s) with a keep-alive agent: plain bytes in and out, no web streams, which keeps the
 * garbage of thousands of answers low. Transport failures come back as `EndpointFailure`s. Whatever the node
 * does, the request ends: `timeoutMs` bounds the whole exchange (a body that trickles forever is a `timeout`),
 * and the body is counted as it arrives, so an answer past `maxBytes` (an endless or huge body) is aborted at
 * once as `too_large` instead of being held in memory.
 */
function httpPost(
  agent: http.Agent,
  target: URL,
  body: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const send = target.protocol === 'https:' ? https.request : http.request;
    const fail = (err: EndpointFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err);
      req.destroy();
    };
    const tooLarge = () =>
      fail(new EndpointFailure('too_large', `answer larger than ${maxBytes} bytes; request aborted`));
    const timer = setTimeout(
      () => fail(new EndpointFailure('timeout', `timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const req = send(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        if (Number(res.headers['content-length'] ?? 0) > maxBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return tooLarge();
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks, size).toString('utf8') });
        });
        res.on('error', (err) => fail(transportFailure(err)));
        res.on('close', () => {
          if (!res.complete) fail(transportFailure(new Error('connection closed during the answer')));
        });
      },
    );
    req.on('error', (err) => fail(transportFailure(err)));
    req.end(body);
  });
}

/** A transport error, its message free of credentials (undici and node quote the URL they failed on). */
function transportFailure(err: unknown): EndpointFailure {
  const e = err as Error & { code?: string };
  return new EndpointFailure(
    'connect',
    redactUrlsIn(`cannot reach endpoint: ${e?.code ?? e?.message ?? String(err)}`),
  );
}
