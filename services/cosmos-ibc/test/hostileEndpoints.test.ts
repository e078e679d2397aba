import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScenarioInput } from '@tocsin/sim-cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

/**
 * Endpoints that would exhaust the process or feed it another chain's data: an endless body, a huge one, one
 * that trickles forever, and nodes of another chain behind a configured URL. Each is one `endpoint_error`
 * (`too_large`, `timeout`, `wrong_chain`); the scan of every other chain is complete in the same run.
 */
const CAP = 256 * 1024;

/** A real HTTP server whose answers never end, or end far past the cap; it records what its clients did. */
let hostile: http.Server;
let hostileUrl: string;
/** Paths whose answer the client abandoned before it ended. */
const abandoned: string[] = [];
/** What `/proxy` forwards to: a simulator chain, or `down` (connections dropped). */
let proxyTo: string | 'down' = 'down';

beforeAll(async () => {
  hostile = http.createServer((req, res) => {
    const path = req.url ?? '/';
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      if (path === '/proxy') return proxy(Buffer.concat(body), req, res);
      res.on('close', () => {
        if (!res.writableFinished) abandoned.push(path);
      });
      res.writeHead(
        200,
        path === '/huge'
          ? { 'content-type': 'application/json', 'content-length': String(1 << 30) }
          : { 'content-type': 'application/json' },
      );
      res.write('[');
      if (path === '/endless') {
        // As fast as the client reads: what once grew a string to hundreds of MB and crashed the process.
        const chunk = Buffer.alloc(64 * 1024, ' ');
        const pour = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pour);
        };
        pour();
      } else if (path === '/trickle') {
        // Never ends, never reaches the cap: only the request timeout ends it.
        const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 50);
      }
      // '/huge': announces 1 GiB in Content-Length and sends nothing more.
    });
  });
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
});

/** Forwards a JSON-RPC request to the simulator chain `proxyTo`: a URL whose node can be swapped. */
function proxy(body: Buffer, req: http.IncomingMessage, res: http.ServerResponse) {
  if (proxyTo === 'down' || !s) return void req.socket.destroy();
  const out = http.request(s.sim.chainUrl(proxyTo), { method: 'POST' }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
    answer.pipe(res);
  });
  out.on('error', () => req.socket.destroy());
  out.end(body);
}

let s: Stack;
/** Each chain's clients name a counterparty of their own, so an event shows which node it was read from. */
const clients = (n: number, counterparty: string) => ({
  count: n,
  seed: 3,
  counterparty_chain_ids: [counterparty],
  trusting_period_s: 1_209_600,
  last_update_ago_s: 3600,
});
const scenario: ScenarioInput = {
  chains: [
    { chain_id: 'healthy-1', generate_clients: clients(30, 'from-healthy') },
    { chain_id: 'cosmoshub-4', generate_clients: clients(5, 'from-hub') },
    { chain_id: 'osmosis-1', generate_clients: clients(7, 'from-osmosis') },
    { chain_id: 'gaia-1', generate_clients: clients(4, 'from-gaia') },
  ],
};
const chain = (chainId: string, rpc: string[]) => ({
  chain_id: chainId,
  rpc,
  denom: 'stake',
  display_denom: 'STAKE',
});

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-hostile',
    scenario,
    section: {
      max_response_bytes: CAP,
      request_timeout: '2s',
      retries: 0,
      chains: [
        chain('healthy-1', ['sim:healthy-1']),
        chain('endless-1', [`${hostileUrl}/endless`]),
        chain('huge-1', [`${hostileUrl}/huge`]),
        chain('trickle-1', [`${hostileUrl}/trickle`]),
        // The first URL serves Osmosis: failed over, never read for the Hub's data.
        chain('cosmoshub-4', ['sim:osmosis-1', 'sim:cosmoshub-4']),
        // Its only URL serves another chain: nothing is published as this chain's.
        chain('juno-1', ['sim:osmosis-1']),
        // Behind one URL, the node changes (a load balancer, a DNS change).
        chain('gaia-1', [`${hostileUrl}/proxy`]),
      ],
    },
  });
});
afterAll(async () => {
  await s?.stop();
  hostile.closeAllConnections();
  await new Promise((r) => hostile.close(r));
});

const errorsOf = (chainId: string, from: number) =>
  s
    .ofType('endpoint_error', from)
    .filter((e) => e.chain_id === chainId)
    .map((e) => e.data);
const counterpartiesOf = (chainId: string, from: number) =>
  new Set(
    s
      .ofType('client_status', from)
      .filter((e) => e.chain_id === chainId)
      .map((e) => (e.data as { counterparty_chain_id: string }).counterparty_chain_id),
  );

describe('answers that never end or are too large', () => {
  let summaries: Awaited<ReturnType<Stack['scan']>>;
  let from: number;
  beforeAll(async () => {
    from = s.events.length;
    summaries = await s.scan();
  });

  it('an endless body is cut at max_response_bytes: endpoint_error kind too_large', () => {
    expect(errorsOf('endless-1', from)).toEqual([
      {
        endpoint: `${hostileUrl}/endless`,
        query: 'status',
        reason: `answer larger than ${CAP} bytes; request aborted`,
        kind: 'too_large',
      },
    ]);
    // The request was aborted by us, not ended by the server.
    expect(abandoned).toContain('/endless');
  });

  it('a body announced larger than the cap is refused before it is read', () => {
    expect(errorsOf('huge-1', from)).toEqual([
      expect.objectContaining({ endpoint: `${hostileUrl}/huge`, kind: 'too_large' }),
    ]);
    expect(abandoned).toContain('/huge');
  });

  it('a body that trickles forever ends at request_timeout: kind timeout', () => {
    expect(errorsOf('trickle-1', from)).toEqual([
      expect.objectContaining({
        endpoint: `${hostileUrl}/trickle`,
        kind: 'timeout',
        reason: 'timeout after 2000 ms',
      }),
    ]);
    expect(abandoned).toContain('/trickle');
  });

  it('the other chains are scanned completely in the same run', () => {
    expect(summaries.find((x) => x.chainId === 'healthy-1')).toMatchObject({ clients: 30, errors: 0 });
    expect(counterpartiesOf('healthy-1', from)).toEqual(new Set(['from-healthy']));
    const done = new Set(s.ofType('scan_completed', from).map((e) => e.chain_id));
    for (const c of ['healthy-1', 'endless-1', 'huge-1', 'trickle-1', 'cosmoshub-4', 'juno-1'])
      expect(done).toContain(c);
  });
});

describe('a node of another chain behind a configured URL', () => {
  let summaries: Awaited<ReturnType<Stack['scan']>>;
  let from: number;
  beforeAll(async () => {
    s.clock.advance(600_000);
    s.sim.resetStats();
    from = s.events.length;
    summaries = await s.scan();
  });

  it('is an endpoint_error kind wrong_chain naming the network it serves', () => {
    expect(errorsOf('cosmoshub-4', from)).toEqual([
      {
        endpoint: s.sim.chainUrl('osmosis-1'),
        query: 'status',
        reason: 'the node serves chain "osmosis-1", not "cosmoshub-4"; its data is not used',
        kind: 'wrong_chain',
        network: 'osmosis-1',
      },
    ]);
  });

  it('fails over to the right node; nothing read from the wrong one is published', () => {
    expect(summaries.find((x) => x.chainId === 'cosmoshub-4')).toMatchObject({ clients: 5, errors: 1 });
    expect(counterpartiesOf('cosmoshub-4', from)).toEqual(new Set(['from-hub']));
    // The Osmosis node was asked who it is, and nothing else.
    expect(s.sim.endpointStats('osmosis-1').byMethod).toEqual({ status: 2 });
  });

  it('a chain whose only node is another chain publishes no data under its name', () => {
    expect(errorsOf('juno-1', from)).toEqual([
      expect.objectContaining({
        kind: 'wrong_chain',
        network: 'osmosis-1',
        endpoint: s.sim.chainUrl('osmosis-1'),
      }),
    ]);
    expect(s.ofType('client_status', from).filter((e) => e.chain_id === 'juno-1')).toEqual([]);
    expect(summaries.find((x) => x.chainId === 'juno-1')).toMatchObject({ clients: 0, height: null });
  });

  it('checks the node again after the endpoint failed (a reconnect may reach another node)', async () => {
    proxyTo = 'gaia-1';
    s.clock.advance(600_000);
    let at = s.events.length;
    expect((await s.scan('gaia-1'))[0]).toMatchObject({ clients: 4, errors: 0 });
    expect(counterpartiesOf('gaia-1', at)).toEqual(new Set(['from-gaia']));

    proxyTo = 'down';
    s.clock.advance(600_000);
    at = s.events.length;
    await s.scan('gaia-1');
    expect(errorsOf('gaia-1', at)).toEqual([expect.objectContaining({ kind: 'connect' })]);

    proxyTo = 'osmosis-1';
    s.clock.advance(600_000);
    at = s.events.length;
    expect((await s.scan('gaia-1'))[0]).toMatchObject({ clients: 0 });
    expect(errorsOf('gaia-1', at)).toEqual([
      expect.objectContaining({ kind: 'wrong_chain', network: 'osmosis-1' }),
    ]);
    expect(s.ofType('client_status', at).filter((e) => e.chain_id === 'gaia-1')).toEqual([]);
  });
});
