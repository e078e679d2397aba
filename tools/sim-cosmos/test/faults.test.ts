import { QueryClient, setupIbcExtension } from '@cosmjs/stargate';
import { Comet38Client, HttpBatchClient, HttpClient } from '@cosmjs/tendermint-rpc';
import { describe, expect, it, vi } from 'vitest';
import { closeAfterTest, startTestSim } from './fixtures.ts';

const scenario = {
  chains: [
    {
      chain_id: 'cosmoshub-4',
      endpoints: 3,
      clients: [{ client_id: '07-tendermint-0', counterparty_chain_id: 'osmosis-1' }],
    },
    { chain_id: 'osmosis-1' },
  ],
};

/** A Comet38 client over plain HTTP with a short timeout, as an ingestor with a deadline would use. */
function cometWithTimeout(url: string, timeoutMs: number) {
  return closeAfterTest(Comet38Client.create(new HttpClient(url, timeoutMs)), (c) => c.disconnect());
}

describe('fault injection', () => {
  it('adds latency once per HTTP request, counted by the sim (a batch waits once)', async () => {
    const t = await startTestSim(scenario);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { latencyMs: 25 });
    const batch = new HttpBatchClient(t.sim.chainUrl('cosmoshub-4'), {
      batchSizeLimit: 10,
      dispatchInterval: 5,
    });
    const comet = closeAfterTest(Comet38Client.create(batch), (c) => c.disconnect());
    const q = QueryClient.withExtensions(comet, setupIbcExtension);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => q.ibc.client.stateTm('07-tendermint-0')),
    );
    expect(results.every((r) => r.chainId === 'osmosis-1')).toBe(true);

    const s = t.sim.endpointStats('cosmoshub-4');
    expect(s.rpcCalls).toBe(10);
    expect(s.batches).toBe(s.httpRequests);
    expect(s.httpRequests).toBeLessThan(10);
    expect(s.injectedLatencyMs).toBe(25 * s.httpRequests);
    expect(s.byMethod.abci_query).toBe(10);
    expect(s.byPath['/ibc.core.client.v1.Query/ClientState']).toBe(10);
  });

  it('timeout: accepts and never answers, so the client gives up', async () => {
    const t = await startTestSim(scenario);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { kind: 'timeout' });
    // The sim counts the fault once it has read the request: wait for that before the client gives up (on a
    // loaded machine a short client timeout can fire before the sim has even read the request).
    const comet = cometWithTimeout(t.sim.chainUrl('cosmoshub-4'), 2000);
    const status = comet.status();
    const settled = status.then(
      () => undefined,
      () => undefined,
    );
    await vi.waitFor(() => expect(t.sim.endpointStats('cosmoshub-4').faults.timeout).toBe(1), {
      timeout: 15_000,
    });
    await settled;
    await expect(status).rejects.toThrow(/timeout|aborted/i);
    expect(t.sim.endpointStats('cosmoshub-4').faults.timeout).toBe(1);
    // The other chain is unaffected.
    expect((await (await t.comet('osmosis-1')).status()).nodeInfo.network).toBe('osmosis-1');
  });

  it('http_500: answers HTTP 500', async () => {
    const t = await startTestSim(scenario);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { kind: 'http_500' });
    const comet = cometWithTimeout(t.sim.chainUrl('cosmoshub-4'), 5000);
    await expect(comet.status()).rejects.toThrow(/Bad status on response: 500/);
    expect(t.sim.endpointStats('cosmoshub-4').faults.http_500).toBe(1);
  });

  it('garbage: abci_query says code 0 but the value does not decode', async () => {
    const t = await startTestSim(scenario);
    const q = await t.query('cosmoshub-4');
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { kind: 'garbage' });
    await expect(q.ibc.client.state('07-tendermint-0')).rejects.toThrow(/invalid wire type/);
    await expect(q.ibc.connection.connections()).rejects.toThrow(/invalid wire type/);
    const raw = await (await t.comet('cosmoshub-4')).abciQuery({
      path: '/ibc.core.client.v1.Query/ClientStatus',
      data: new Uint8Array(),
    });
    expect(raw.code).toBe(0);
    expect(raw.value.length).toBeGreaterThan(0);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, null);
    expect((await q.ibc.client.stateTm('07-tendermint-0')).chainId).toBe('osmosis-1');
  });

  it('down: drops the connection', async () => {
    const t = await startTestSim(scenario);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { kind: 'down' });
    const comet = cometWithTimeout(t.sim.chainUrl('cosmoshub-4'), 5000);
    await expect(comet.status()).rejects.toThrow(/fetch failed/);
    expect(t.sim.endpointStats('cosmoshub-4').faults.down).toBe(1);
  });

  it('faults one endpoint while the others of the chain keep serving (failover)', async () => {
    const t = await startTestSim({
      chains: [{ chain_id: 'cosmoshub-4', endpoints: [{ fault: { kind: 'down' } }, {}, {}] }],
    });
    await expect(cometWithTimeout(t.sim.chainUrl('cosmoshub-4', 0), 5000).status()).rejects.toThrow();
    await expect(cometWithTimeout(t.sim.chainUrl('cosmoshub-4'), 5000).status()).rejects.toThrow();
    const healthy = await t.comet('cosmoshub-4', 1);
    expect((await healthy.status()).nodeInfo.network).toBe('cosmoshub-4');

    t.sim.setFault({ chainId: 'cosmoshub-4', endpoint: 0 }, null);
    t.sim.setFault({ chainId: 'cosmoshub-4', endpoint: 1 }, { kind: 'http_500' });
    expect((await cometWithTimeout(t.sim.chainUrl('cosmoshub-4', 0), 5000).status()).nodeInfo.network).toBe(
      'cosmoshub-4',
    );
    await expect(healthy.status()).rejects.toThrow(/500/);

    // Endpoint settings win over the chain's, field by field.
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { kind: 'down', latencyMs: 5 });
    t.sim.setFault({ chainId: 'cosmoshub-4', endpoint: 2 }, { kind: 'none' });
    expect((await cometWithTimeout(t.sim.chainUrl('cosmoshub-4', 2), 5000).status()).nodeInfo.network).toBe(
      'cosmoshub-4',
    );
    const stats = t.sim.stats().filter((s) => s.chainId === 'cosmoshub-4');
    expect(stats.map((s) => s.endpoint)).toEqual([0, 1, 2]);
    expect(stats[2]!.injectedLatencyMs).toBe(5 * stats[2]!.httpRequests);
    expect(stats[0]!.faults.down).toBe(2);
  });
});

describe('concurrency counters', () => {
  it('records the most HTTP requests in flight at once per endpoint', async () => {
    const t = await startTestSim(scenario);
    const url = t.sim.chainUrl('cosmoshub-4', 1);
    // Hold every request open so all eight are in flight together, whatever the machine's speed.
    t.sim.setFault({ chainId: 'cosmoshub-4', endpoint: 1 }, { kind: 'timeout' });
    const abort = new AbortController();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'status', params: {} });
    const pending = Array.from({ length: 8 }, () =>
      fetch(url, { method: 'POST', body, signal: abort.signal }).catch((err: Error) => err.name),
    );
    await vi.waitFor(() => expect(t.sim.endpointStats('cosmoshub-4', 1).inFlight).toBe(8), {
      timeout: 15_000,
    });
    abort.abort();
    expect(await Promise.all(pending)).toEqual(Array(8).fill('AbortError'));
    await vi.waitFor(() => expect(t.sim.endpointStats('cosmoshub-4', 1).inFlight).toBe(0), {
      timeout: 15_000,
    });
    expect(t.sim.endpointStats('cosmoshub-4', 1).maxInFlight).toBe(8);
    expect(t.sim.endpointStats('cosmoshub-4', 0).maxInFlight).toBe(0);

    t.sim.resetStats();
    expect(t.sim.endpointStats('cosmoshub-4', 1)).toMatchObject({ maxInFlight: 0, httpRequests: 0 });
  });

  it('sees one request at a time from a client that waits for each answer', async () => {
    const t = await startTestSim(scenario);
    t.sim.setFault({ chainId: 'cosmoshub-4' }, { latencyMs: 2 });
    const comet = await t.comet('cosmoshub-4');
    for (let i = 0; i < 5; i++) await comet.status();
    const s = t.sim.endpointStats('cosmoshub-4');
    expect(s.maxInFlight).toBe(1);
    // connectComet asks for status once while detecting the version.
    expect(s.byMethod.status).toBe(6);
    expect(s.injectedLatencyMs).toBe(2 * 6);
  });
});
