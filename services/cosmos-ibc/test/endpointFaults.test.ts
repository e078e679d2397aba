import type { ScenarioInput } from '@tocsin/sim-cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.ts';

/**
 * Endpoints that time out, answer HTTP 500 or garbage protobuf, or are down: each is an `endpoint_error`, and
 * the rest of the scan (other chains, other endpoints) is complete. Plus the concurrency cap and paging.
 */
let s: Stack;

const clients = (n: number, ago = 3600) => ({
  count: n,
  seed: 7,
  counterparty_chain_ids: ['counterparty-1'],
  trusting_period_s: 1_209_600,
  last_update_ago_s: ago,
});

const scenario: ScenarioInput = {
  chains: [
    { chain_id: 'healthy-1', generate_clients: clients(650), fault: { latency_ms: 5 } },
    { chain_id: 'slow-1', generate_clients: clients(3), fault: { kind: 'timeout' } },
    { chain_id: 'broken-1', generate_clients: clients(3), fault: { kind: 'http_500' } },
    { chain_id: 'garbled-1', generate_clients: clients(3), fault: { kind: 'garbage' } },
    { chain_id: 'failover-1', generate_clients: clients(40), endpoints: [{ fault: { kind: 'down' } }, {}] },
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
    name: 'cosmos-ibc-faults',
    scenario,
    captureLogs: true,
    section: {
      max_concurrency_per_endpoint: 3,
      batch_size: 5,
      // Applies to every chain, the healthy one included (whose 650 clients must all come through, with no
      // endpoint_error): short for the test's speed, not so short that a stall of the loaded test process fails it.
      request_timeout: '1s',
      retries: 1,
      chains: [
        chain('healthy-1', ['sim:healthy-1']),
        chain('slow-1', ['sim:slow-1']),
        chain('broken-1', ['sim:broken-1']),
        chain('garbled-1', ['sim:garbled-1']),
        chain('failover-1', ['sim:failover-1/0', 'sim:failover-1/1']),
      ],
    },
  });
});
afterAll(async () => s?.stop());

const errorsOf = (chainId: string, from = 0) =>
  s
    .ofType('endpoint_error', from)
    .filter((e) => e.chain_id === chainId)
    .map((e) => e.data);

describe('endpoint faults', () => {
  let summaries: Awaited<ReturnType<Stack['scan']>>;
  let from: number;

  beforeAll(async () => {
    s.sim.resetStats();
    from = s.events.length;
    summaries = await s.scan();
  });

  it('a timing-out endpoint gives an endpoint_error of kind timeout', () => {
    expect(errorsOf('slow-1', from)).toEqual([
      {
        endpoint: s.sim.chainUrl('slow-1'),
        query: 'status',
        reason: 'timeout after 1000 ms',
        kind: 'timeout',
      },
    ]);
    expect(summaries.find((x) => x.chainId === 'slow-1')).toMatchObject({ clients: 0, height: null });
  });

  it('counts each endpoint given up on in tocsin_endpoint_errors_total, by chain and kind', async () => {
    const text = (await s.service.ctx.http.inject('/metrics')).body;
    const count = (chainId: string, kind: string) =>
      Number(
        new RegExp(
          `^tocsin_endpoint_errors_total\\{chain_id="${chainId}",kind="${kind}"[^}]*\\} (\\d+)`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    expect(count('slow-1', 'timeout')).toBeGreaterThanOrEqual(1);
    expect(count('broken-1', 'http')).toBeGreaterThanOrEqual(1);
    expect(count('garbled-1', 'decode')).toBeGreaterThanOrEqual(1);
    expect(count('healthy-1', 'timeout') + count('healthy-1', 'http')).toBe(0);
  });

  it('an HTTP 500 gives an endpoint_error of kind http', () => {
    expect(errorsOf('broken-1', from)).toEqual([
      {
        endpoint: s.sim.chainUrl('broken-1'),
        query: 'status',
        reason: 'HTTP 500 Internal Server Error',
        kind: 'http',
      },
    ]);
  });

  it('invalid protobuf gives an endpoint_error of kind decode', () => {
    const [err] = errorsOf('garbled-1', from);
    expect(err).toMatchObject({
      endpoint: s.sim.chainUrl('garbled-1'),
      query: '/ibc.core.connection.v1.Query/Connections',
      kind: 'decode',
    });
    expect(errorsOf('garbled-1', from)).toHaveLength(1);
  });

  it('the healthy chain is complete: all 650 clients, over 300 connections, no cap', () => {
    expect(summaries.find((x) => x.chainId === 'healthy-1')).toMatchObject({ clients: 650, errors: 0 });
    const statuses = s.ofType('client_status', from).filter((e) => e.chain_id === 'healthy-1');
    expect(new Set(statuses.map((e) => (e.data as { client_id: string }).client_id)).size).toBe(650);
    expect(errorsOf('healthy-1', from)).toEqual([]);
  });

  it('never has more HTTP requests (or queries) open on an endpoint than configured', () => {
    const stats = s.sim.endpointStats('healthy-1');
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(2);
    // Batched: far fewer HTTP requests than JSON-RPC calls.
    expect(stats.batches).toBeGreaterThan(0);
    expect(stats.httpRequests * 3).toBeLessThan(stats.rpcCalls);
    expect(
      s.ingestor.endpoints('healthy-1').maxOpenRequests()[s.sim.chainUrl('healthy-1')],
    ).toBeLessThanOrEqual(3);
    // Queries in progress are bounded too, at max_concurrency_per_endpoint × batch_size, and the scan fills them.
    expect(s.ingestor.endpoints('healthy-1').maxQueriesSeen).toBe(15);
  });

  it('fails over to the second endpoint when the first is down', () => {
    expect(errorsOf('failover-1', from)).toEqual([
      expect.objectContaining({
        endpoint: s.sim.chainUrl('failover-1', 0),
        query: 'status',
        kind: 'connect',
      }),
    ]);
    expect(summaries.find((x) => x.chainId === 'failover-1')).toMatchObject({ clients: 40, errors: 1 });
    expect(s.sim.endpointStats('failover-1', 1).byPath['/ibc.core.client.v1.Query/ClientStatus']).toBe(40);
    expect(s.sim.endpointStats('failover-1', 0).rpcCalls).toBe(0);
  });

  it('the next scan goes back to the first endpoint once it recovers', async () => {
    s.sim.setFault({ chainId: 'failover-1', endpoint: 0 }, null);
    s.sim.resetStats();
    s.clock.advance(600_000);
    const next = s.events.length;
    const [summary] = await s.scan('failover-1');
    expect(summary).toMatchObject({ clients: 40, errors: 0 });
    expect(errorsOf('failover-1', next)).toEqual([]);
    expect(s.sim.endpointStats('failover-1', 1).rpcCalls).toBe(0);
  });

  it('logs progress of the first scan of many clients: count, rate, ETA', () => {
    const lines = s.logs.filter((l) => l.chain_id === 'healthy-1' && typeof l.done === 'number');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toMatchObject({ done: 650, total: 650, eta_s: 0 });
    for (const l of lines) {
      expect(l.rate_per_s).toBeTypeOf('number');
      expect(l.msg).toMatch(/^healthy-1: \d+\/650 clients \(\d+\/s/);
    }
    // Small chains do not log progress.
    expect(s.logs.filter((l) => l.chain_id === 'failover-1' && typeof l.done === 'number')).toEqual([]);
  });

  it('publishes scan_completed for every chain, the failed ones with their errors', () => {
    const done = new Map(s.ofType('scan_completed', from).map((e) => [e.chain_id, e.data]));
    expect(done.get('slow-1')).toMatchObject({ clients: 0, errors: 1, height: null });
    expect(done.get('broken-1')).toMatchObject({ clients: 0, errors: 1 });
    expect(done.get('garbled-1')).toMatchObject({ clients: 0, errors: 1 });
    expect(done.get('healthy-1')).toMatchObject({ clients: 650, errors: 0 });
  });
});
