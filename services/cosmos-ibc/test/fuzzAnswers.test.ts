import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balance,
  clientStatus,
  consensusTimestampMs,
  latestBlockHeight,
  lightClient,
  openConnectionsPage,
  QUERY,
} from '../src/chainQueries.ts';
import { type ChainApi, ChainEndpoints, type FailureReport } from '../src/transport/chainEndpoints.ts';
import { QueryRejected } from '../src/transport/endpointFailure.ts';

/**
 * Fuzzing (fast-check, 1,000 cases a property) of what a chain endpoint answers, through the whole transport:
 * our batching HTTP client, cosmjs' CometBFT client and QueryClient, the cosmjs-types protobuf decoders and our
 * failure classification. Whatever comes back, a query gives a value, the chain's own rejection, or exactly one
 * endpoint failure with a reason; never a crash, never an unclassified (`other`) failure.
 */

const RUNS = 1000;
let server: http.Server;
let url: string;
/**
 * The next answer: the JSON-RPC `result` of every call, or a whole raw body. `status` calls get a good status of
 * chain fuzz-1 (the transport checks it before an endpoint's first query) unless `status` is what is fuzzed.
 */
let answer: { result: unknown; status?: true } | { raw: string } = { result: {} };
const STATUS = {
  node_info: {
    protocol_version: { p2p: '8', block: '11', app: '0' },
    id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    listen_addr: 'tcp://0.0.0.0:26656',
    network: 'fuzz-1',
    version: '0.38.17',
    channels: '40202122233038606100',
    moniker: 'node-1',
    other: { tx_index: 'on', rpc_address: 'tcp://0.0.0.0:26657' },
  },
  sync_info: {
    latest_block_hash: 'AB'.repeat(32),
    latest_app_hash: 'cd'.repeat(32),
    latest_block_height: '25000000',
    latest_block_time: '2026-11-21T12:00:00.123456789Z',
    earliest_block_hash: '01'.repeat(32),
    earliest_app_hash: '02'.repeat(32),
    earliest_block_height: '1',
    earliest_block_time: '2019-12-11T16:11:34Z',
    catching_up: false,
  },
  validator_info: {
    address: 'EF'.repeat(20),
    pub_key: { type: 'tendermint/PubKeyEd25519', value: 'zQmTUyYkR0Tb8cT0y6P/tW4cFhy6UL4PCzE12sOgGgk=' },
    voting_power: '10',
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      type Call = { id: number; method: string };
      const calls = JSON.parse(body) as Call | Call[];
      const fuzzed = (c: Call) => c.method !== 'status' || ('result' in answer && answer.status);
      if ('raw' in answer && [calls].flat().every(fuzzed)) return res.end(answer.raw);
      const a = answer;
      const result = (c: Call) => (fuzzed(c) && 'result' in a ? a.result : STATUS);
      const one = (c: Call) => ({ jsonrpc: '2.0', id: c.id, result: result(c) });
      res.end(JSON.stringify(Array.isArray(calls) ? calls.map(one) : one(calls)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

type Outcome = { value: unknown } | { rejected: number } | { failure: FailureReport };

/** One query on a fresh chain of one endpoint, no retries. */
async function outcomeOf(query: string, fn: (api: ChainApi) => Promise<unknown>): Promise<Outcome> {
  const failures: FailureReport[] = [];
  const endpoints = new ChainEndpoints(
    'fuzz-1',
    [url],
    {
      maxConcurrency: 1,
      batchSize: 1,
      timeoutMs: 5_000,
      retries: 0,
      backoffMs: 0,
      maxResponseBytes: 8 * 1024 * 1024,
    },
    (f) => failures.push(f),
  );
  try {
    const value = await endpoints.run(query, fn);
    expect(failures).toEqual([]);
    return { value };
  } catch (err) {
    if (err instanceof QueryRejected) {
      expect(failures).toEqual([]);
      return { rejected: err.abciCode };
    }
    expect(failures, String(err)).toHaveLength(1);
    const f = failures[0]!;
    expect(f).toMatchObject({ chainId: 'fuzz-1', endpoint: url, query });
    expect(f.kind, f.reason).not.toBe('other');
    expect(f.reason.length).toBeGreaterThan(0);
    return { failure: f };
  } finally {
    endpoints.close();
  }
}

const QUERIES: [string, (api: ChainApi) => Promise<unknown>][] = [
  [QUERY.clientStatus, (api) => clientStatus(api, '07-tendermint-0')],
  [QUERY.clientState, (api) => lightClient(api, '07-tendermint-0')],
  [
    QUERY.consensusState,
    (api) => consensusTimestampMs(api, '07-tendermint-0', { revisionNumber: 1n, revisionHeight: 5n }),
  ],
  [QUERY.connections, (api) => openConnectionsPage(api, 100, undefined)],
  [QUERY.balance, (api) => balance(api, 'cosmos1fuzz', 'uatom')],
];
const query = fc.constantFrom(...QUERIES);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const abci = (over: Record<string, unknown>) => ({
  response: {
    code: 0,
    log: '',
    info: '',
    index: '0',
    key: null,
    proofOps: null,
    height: '100',
    codespace: '',
    ...over,
  },
});

describe('fuzzed chain answers', () => {
  it('any JSON as the status result: a height or a decode failure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (result) => {
        answer = { result, status: true };
        const o = await outcomeOf(QUERY.status, latestBlockHeight);
        if ('failure' in o) expect(o.failure.kind).toBe('decode');
        else expect(o).toHaveProperty('value');
      }),
      { numRuns: RUNS },
    );
  }, 300_000);

  it('any bytes as a protobuf answer of any query: a value or a decode failure', async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.uint8Array({ maxLength: 300 }), async ([name, run], bytes) => {
        answer = { result: abci({ value: b64(bytes) }) };
        const o = await outcomeOf(name, run);
        if ('failure' in o) expect(o.failure.kind).toBe('decode');
        else expect(o).toHaveProperty('value');
      }),
      { numRuns: RUNS },
    );
  }, 300_000);

  it('any abci_query response fields: a value, the chain rejecting the query, or a decode failure', async () => {
    const field = fc.oneof(
      fc.jsonValue(),
      fc.base64String({ maxLength: 40 }),
      fc.integer(),
      fc.constant(undefined),
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        fc.record({
          code: field,
          value: field,
          height: field,
          log: field,
          codespace: field,
          proofOps: field,
        }),
        async ([name, run], over) => {
          answer = { result: abci(over) };
          const o = await outcomeOf(name, run);
          if ('failure' in o) expect(o.failure.kind).toBe('decode');
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);

  it('any body instead of a JSON-RPC answer: one classified endpoint failure', async () => {
    // Anything but an answer to the call (which would carry its id).
    const body = fc
      .oneof(
        fc.string({ maxLength: 200 }),
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc
          .record({ jsonrpc: fc.jsonValue(), result: fc.jsonValue(), error: fc.jsonValue() })
          .map((v) => JSON.stringify(v)),
      )
      .filter((b) => !b.includes('"id"'));
    await fc.assert(
      fc.asyncProperty(query, body, async ([name, run], raw) => {
        answer = { raw };
        const o = await outcomeOf(name, run);
        expect(o).not.toHaveProperty('value');
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});
