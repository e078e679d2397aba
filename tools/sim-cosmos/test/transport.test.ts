import { describe, expect, it } from 'vitest';
import { startTestSim } from './fixtures.ts';

const scenario = { chains: [{ chain_id: 'cosmoshub-4', start_height: 10, endpoints: 2 }] };

// biome-ignore lint/suspicious/noExplicitAny: these tests read raw JSON-RPC bodies field by field
const bodyOf = async (res: Response): Promise<any> => res.json();

async function post(url: string, body: string) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: await bodyOf(res) };
}

describe('HTTP transport', () => {
  it('answers JSON-RPC errors as CometBFT does', async () => {
    const { sim } = await startTestSim(scenario);
    const url = sim.chainUrl('cosmoshub-4');
    expect((await post(url, '{not json')).json.error.code).toBe(-32700);
    expect((await post(url, '[]')).json.error.code).toBe(-32600);
    expect((await post(url, '{"jsonrpc":"2.0","id":3,"method":"nope"}')).json).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32601, message: 'Method not found' },
    });
    const future = await post(url, '{"jsonrpc":"2.0","id":4,"method":"block","params":{"height":"99"}}');
    expect(future.json.error.data).toMatch(/must be less than or equal to the current blockchain height 10/);
    const sub = await post(
      url,
      `{"jsonrpc":"2.0","id":5,"method":"subscribe","params":{"query":"tm.event='Tx'"}}`,
    );
    expect(sub.json.error.data).toMatch(/websocket/);
  });

  it('answers a batch with an array in the same order, counting each call', async () => {
    const { sim } = await startTestSim(scenario);
    const { json } = await post(
      sim.chainUrl('cosmoshub-4', 1),
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'health', params: {} },
        { jsonrpc: '2.0', id: 'b', method: 'status', params: {} },
        { jsonrpc: '2.0', id: 'c', method: 'abci_query', params: { path: '/x.Query/Y', data: '' } },
      ]),
    );
    expect(json.map((r: { id: string }) => r.id)).toEqual(['a', 'b', 'c']);
    expect(json[2].result.response).toMatchObject({ code: 6, height: '10', codespace: 'sdk' });
    expect(sim.endpointStats('cosmoshub-4', 1)).toMatchObject({
      httpRequests: 1,
      batches: 1,
      rpcCalls: 3,
      byMethod: { health: 1, status: 1, abci_query: 1 },
      byPath: { '/x.Query/Y': 1 },
    });
    expect(sim.endpointStats('cosmoshub-4', 0).httpRequests).toBe(0);
  });

  it('serves URI-style GET for curl, an index at /, and 404 elsewhere', async () => {
    const { sim } = await startTestSim(scenario);
    const status = await bodyOf(await fetch(`${sim.chainUrl('cosmoshub-4')}/status`));
    expect(status.result.node_info.network).toBe('cosmoshub-4');
    const block = await bodyOf(await fetch(`${sim.chainUrl('cosmoshub-4', 1)}/block?height=5`));
    expect(block.result.block.header.height).toBe('5');
    const index = await bodyOf(await fetch(`${sim.url}/`));
    expect(index.chains['cosmoshub-4'].endpoints).toEqual([
      sim.chainUrl('cosmoshub-4', 0),
      sim.chainUrl('cosmoshub-4', 1),
    ]);
    expect((await fetch(`${sim.url}/juno-1/status`)).status).toBe(404);
    expect((await fetch(`${sim.chainUrl('cosmoshub-4', 7)}`, { method: 'POST', body: '{}' })).status).toBe(
      404,
    );
  });
});
