import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  QueryClientStateResponse,
  QueryClientStatusResponse,
  QueryConsensusStateResponse,
} from 'cosmjs-types/ibc/core/client/v1/query';
import { QueryConnectionsResponse } from 'cosmjs-types/ibc/core/connection/v1/query';
import {
  ClientState as TmClientState,
  ConsensusState as TmConsensusState,
} from 'cosmjs-types/ibc/lightclients/tendermint/v1/tendermint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientStatus,
  consensusTimestampMs,
  latestBlockHeight,
  lightClient,
  openConnectionsPage,
  QUERY,
} from '../src/chainQueries.ts';
import { type ChainApi, ChainEndpoints, type FailureReport } from '../src/transport/chainEndpoints.ts';
import { QueryRejected } from '../src/transport/endpointFailure.ts';
import { abci, bytes, int, rand, STATUS } from './malformedFixtures.ts';

/**
 * What an endpoint that answers with well-formed JSON-RPC but odd content does to a query, through the whole
 * transport (our batching HTTP client, cosmjs' CometBFT client and QueryClient, the cosmjs-types decoders, our
 * failure classification): a value, the chain's own error (`QueryRejected`), or one `endpoint_error` of kind
 * `decode`. Never kind `other`, never a crash. The endpoint is a plain HTTP server that answers every JSON-RPC
 * call with the `result` the test sets.
 */

let server: http.Server;
let url: string;
/** The JSON-RPC `result` of the next answers, by method; `status` answers come from `statusAnswer`. */
let answer: (method: string) => unknown = () => ({});
/** The `status` result: the good one, except in the tests of odd status answers. */
let statusAnswer = (): unknown => STATUS;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const calls = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
      const one = (c: { id: number; method: string }) => ({
        jsonrpc: '2.0',
        id: c.id,
        result: c.method === 'status' ? statusAnswer() : answer(c.method),
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(calls) ? calls.map(one) : one(calls)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

type Outcome<T> = { value: T } | { rejected: number } | { failure: FailureReport };

/** One query on a fresh chain of one endpoint (no retries): what it gave, and the failures reported. */
async function outcomeOf<T>(query: string, fn: (api: ChainApi) => Promise<T>): Promise<Outcome<T>> {
  const failures: FailureReport[] = [];
  const endpoints = new ChainEndpoints(
    'cosmoshub-4',
    [url],
    {
      maxConcurrency: 2,
      batchSize: 5,
      timeoutMs: 5_000,
      maxResponseBytes: 8 << 20,
      retries: 0,
      backoffMs: 0,
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
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ chainId: 'cosmoshub-4', endpoint: url, query });
    return { failure: failures[0]! };
  } finally {
    endpoints.close();
  }
}

/** Every failure among `outcomes` is of kind `decode`; returns how many failed. */
function decodeFailures(outcomes: Outcome<unknown>[]): number {
  const failures = outcomes.flatMap((o) => ('failure' in o ? [o.failure] : []));
  for (const f of failures) expect(f.kind, f.reason).toBe('decode');
  return failures.length;
}

describe('status answers', () => {
  /** The answer with `value` at `path` (undefined removes the field). */
  const variant = (path: string[], value: unknown) => {
    const copy = structuredClone(STATUS) as Record<string, unknown>;
    let at = copy;
    for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
    if (value === undefined) delete at[path.at(-1)!];
    else at[path.at(-1)!] = value;
    return copy;
  };
  const paths: string[][] = [];
  const walk = (o: object, prefix: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      paths.push([...prefix, k]);
      if (v && typeof v === 'object') walk(v, [...prefix, k]);
    }
  };
  walk(STATUS, []);
  const odd: unknown[] = [undefined, null, '', 'zz', 'abc', 42, 1.5, true, [], {}, ['x'], '-7', '1e3'];

  it('gives the height of a good answer', async () => {
    statusAnswer = () => STATUS;
    expect(await outcomeOf(QUERY.status, latestBlockHeight)).toEqual({ value: 25_000_000 });
  });

  it('turns every malformed field into a decode failure or still reads the height', async () => {
    const outcomes: Outcome<number>[] = [];
    const heights = new Set<number>();
    for (const result of [
      null,
      'status',
      {},
      ...paths.flatMap((p) => odd.filter((v) => !otherNetwork(p, v)).map((v) => variant(p, v))),
      variant(['validator_info', 'pub_key'], { Sum: { value: { sr25519: 'AAAA' } } }),
      variant(['sync_info', 'latest_block_time'], '2026-11-21 12:00:00+01:00'),
      variant(['sync_info', 'latest_block_height'], '9007199254740993'),
    ]) {
      statusAnswer = () => result;
      const o = await outcomeOf(QUERY.status, latestBlockHeight);
      expect(o).not.toHaveProperty('rejected');
      if ('value' in o) heights.add(o.value);
      outcomes.push(o);
    }
    // Most variants break a field cosmjs checks; those it does not check still give the height.
    expect(decodeFailures(outcomes)).toBeGreaterThan(outcomes.length / 2);
    // cosmjs takes any decimal integer string as the height, '-7' included.
    expect([...heights].sort((a, b) => a - b)).toEqual([-7, 25_000_000]);
  });

  it('a node that names another network is a wrong_chain failure, its height unused', async () => {
    for (const network of odd.filter((v) => otherNetwork(['node_info', 'network'], v))) {
      statusAnswer = () => variant(['node_info', 'network'], network);
      const o = await outcomeOf(QUERY.status, latestBlockHeight);
      expect(o).toEqual({
        failure: expect.objectContaining({ kind: 'wrong_chain', network, query: 'status' }),
      });
    }
  });
  afterAll(() => {
    statusAnswer = () => STATUS;
  });
});

/** A status variant naming a network other than the configured chain (a wrong_chain, not a decode failure). */
function otherNetwork(path: string[], value: unknown): boolean {
  return path.join('.') === 'node_info.network' && typeof value === 'string' && value !== ''; // cosmjs refuses ''
}

describe('abci_query answers', () => {
  const status = QueryClientStatusResponse.encode({ status: 'Active' }).finish();
  const ask = () => outcomeOf(QUERY.clientStatus, (api) => clientStatus(api, '07-tendermint-0'));

  it('reads a good answer, and an error code is the chain rejecting the query', async () => {
    answer = () => abci(status);
    expect(await ask()).toEqual({ value: 'Active' });
    answer = () => abci(new Uint8Array(), { code: 38, log: 'client not found: NotFound', codespace: 'ibc' });
    expect(await ask()).toEqual({ rejected: 38 });
  });

  it('turns every malformed answer into a decode failure', async () => {
    const ok = abci(status).response;
    const outcomes: Outcome<string>[] = [];
    for (const result of [
      { response: { ...ok, height: '0' } },
      { response: { ...ok, height: undefined } },
      { response: { ...ok, height: '12.5' } },
      { response: { ...ok, height: 1.5 } },
      { response: { ...ok, height: '99999999999999999999' } },
      { response: { ...ok, height: true } },
      { response: { ...ok, value: 'not base64!' } },
      { response: { ...ok, value: 'QUJDR' } },
      { response: { ...ok, value: 42 } },
      { response: { ...ok, value: ['AAAA'] } },
      { response: { ...ok, key: 5 } },
      { response: { ...ok, codespace: 7 } },
      { response: { ...ok, info: {} } },
      { response: { ...ok, index: 'x' } },
      { response: { ...ok, code: 2.5 } },
      { response: { ...ok, proofOps: { ops: [{ type: 'ics23', key: '!', data: 'AQ==' }] } } },
      { response: { ...ok, proofOps: { ops: null } } },
      { response: { ...ok, proofOps: { ops: [null] } } },
      { response: [] },
      { response: 'yes' },
      { response: null },
      {},
      'x',
      abci(Uint8Array.from([0x07, ...new TextEncoder().encode('not protobuf')])),
    ]) {
      answer = () => result;
      outcomes.push(await ask());
    }
    expect(decodeFailures(outcomes)).toBe(outcomes.length);
  });
});

describe('protobuf answers, whole, cut short and damaged', () => {
  const TM_CLIENT = '/ibc.lightclients.tendermint.v1.ClientState';
  const TM_CONSENSUS = '/ibc.lightclients.tendermint.v1.ConsensusState';
  const height = () => ({ revisionNumber: BigInt(int(5)), revisionHeight: BigInt(1 + int(1e6)) });

  /** An answer, what the scan reads from it and the query that reads it. */
  interface Case {
    answerBytes: Uint8Array;
    expected: unknown;
    run: (api: ChainApi) => Promise<unknown>;
    query: string;
  }

  function clientStateCase(): Case {
    const wasm = rand() < 0.2;
    const cs = {
      chainId: `counterparty-${int(9)}`,
      trustLevel: { numerator: 1n, denominator: 3n },
      trustingPeriod: { seconds: BigInt(1 + int(2e6)), nanos: 0 },
      unbondingPeriod: { seconds: 1_814_400n, nanos: 0 },
      maxClockDrift: { seconds: 10n, nanos: 0 },
      frozenHeight: rand() < 0.3 ? height() : { revisionNumber: 0n, revisionHeight: 0n },
      latestHeight: height(),
      upgradePath: ['upgrade', 'upgradedIBCState'],
    };
    const typeUrl = wasm ? '/ibc.lightclients.wasm.v1.ClientState' : TM_CLIENT;
    const answerBytes = QueryClientStateResponse.encode({
      clientState: {
        typeUrl,
        value: wasm ? bytes(30) : TmClientState.encode(TmClientState.fromPartial(cs)).finish(),
      },
      proof: bytes(40),
      proofHeight: height(),
    }).finish();
    const expected = wasm
      ? { supported: false, clientType: '08-wasm', typeUrl }
      : {
          supported: true,
          clientType: '07-tendermint',
          counterpartyChainId: cs.chainId,
          trustingPeriodS: Number(cs.trustingPeriod.seconds),
          latestHeight: cs.latestHeight,
          frozen: cs.frozenHeight.revisionHeight !== 0n,
        };
    return {
      answerBytes,
      expected,
      run: (api: ChainApi) => lightClient(api, 'client-1'),
      query: QUERY.clientState,
    };
  }

  function consensusCase(): Case {
    const seconds = 1_763_700_000 + int(1e6);
    const nanos = int(1e9);
    const answerBytes = QueryConsensusStateResponse.encode({
      consensusState: {
        typeUrl: TM_CONSENSUS,
        value: TmConsensusState.encode(
          TmConsensusState.fromPartial({
            timestamp: { seconds: BigInt(seconds), nanos },
            root: { hash: bytes(32) },
            nextValidatorsHash: bytes(32),
          }),
        ).finish(),
      },
      proof: bytes(20),
      proofHeight: height(),
    }).finish();
    return {
      answerBytes,
      expected: seconds * 1000 + Math.floor(nanos / 1e6),
      run: (api: ChainApi) => consensusTimestampMs(api, '07-tendermint-0', height()),
      query: QUERY.consensusState,
    };
  }

  function connectionsCase(): Case {
    const connections = Array.from({ length: 1 + int(5) }, (_, i) => ({
      id: `connection-${i}`,
      clientId: `07-tendermint-${int(100)}`,
      versions: [{ identifier: '1', features: ['ORDER_ORDERED', 'ORDER_UNORDERED'] }],
      state: int(4),
      counterparty: {
        clientId: '07-tendermint-0',
        connectionId: 'connection-9',
        prefix: { keyPrefix: bytes(4) },
      },
      delayPeriod: 0n,
    }));
    const nextKey = rand() < 0.5 ? Uint8Array.of(1, 2, 3) : new Uint8Array();
    const answerBytes = QueryConnectionsResponse.encode(
      QueryConnectionsResponse.fromPartial({
        connections,
        pagination: { nextKey, total: 0n },
        height: height(),
      }),
    ).finish();
    return {
      answerBytes,
      expected: {
        connections: connections
          .filter((c) => c.state === 3)
          .map((c) => ({ connectionId: c.id, clientId: c.clientId })),
        nextKey: nextKey.length ? nextKey : undefined,
      },
      run: (api: ChainApi) => openConnectionsPage(api, 100, undefined),
      query: QUERY.connections,
    };
  }

  const cases: [string, () => Case][] = [
    ['client state', clientStateCase],
    ['consensus state timestamp', consensusCase],
    ['connection page', connectionsCase],
  ];
  for (const [what, make] of cases) {
    it(`reads the ${what}, or fails with kind decode`, async () => {
      const outcomes: Outcome<unknown>[] = [];
      for (let i = 0; i < 25; i++) {
        const c = make();
        answer = () => abci(c.answerBytes);
        expect(await outcomeOf(c.query, c.run)).toEqual({ value: c.expected });
        for (let cut = 1; cut < c.answerBytes.length; cut += 1 + int(25)) {
          answer = () => abci(c.answerBytes.subarray(0, cut));
          outcomes.push(await outcomeOf(c.query, c.run));
        }
        const at = int(c.answerBytes.length);
        answer = () => abci(Uint8Array.from(c.answerBytes, (x, j) => (j === at ? x ^ 0xff : x)));
        outcomes.push(await outcomeOf(c.query, c.run));
      }
      expect(outcomes.every((o) => !('rejected' in o))).toBe(true);
      expect(decodeFailures(outcomes)).toBeGreaterThan(outcomes.length / 4);
    });
  }
});
