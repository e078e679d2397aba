import { createProtobufRpcClient, QueryClient } from '@cosmjs/stargate';
import { Comet38Client, type RpcClient, Tendermint37Client } from '@cosmjs/tendermint-rpc';
import type { BinaryWriter } from 'cosmjs-types/binary';
import {
  QueryClientStateRequest,
  QueryClientStateResponse,
  QueryClientStatusResponse,
  QueryConsensusStateRequest,
  QueryConsensusStateResponse,
} from 'cosmjs-types/ibc/core/client/v1/query';
import { State } from 'cosmjs-types/ibc/core/connection/v1/connection';
import { QueryConnectionsRequest, QueryConnectionsResponse } from 'cosmjs-types/ibc/core/connection/v1/query';
import {
  ClientState as TmClientState,
  ConsensusState as TmConsensusState,
} from 'cosmjs-types/ibc/lightclients/tendermint/v1/tendermint';
import { describe, expect, it } from 'vitest';
import {
  clientStatusAnswer,
  connectionsAnswer,
  stateAnswer,
  tendermintClientState,
  tendermintConsensusTimestamp,
} from '../src/queryAnswers.ts';
import { abciQuery, cometStatus, finishExact } from '../src/transport/cometRpc.ts';
import { classify } from '../src/transport/endpointFailure.ts';

/**
 * The scan's own ABCI path and protobuf readers against what they replace (cosmjs' QueryClient over its
 * CometBFT client, the cosmjs-types decoders): the same request bytes, the same values, the same failures.
 */

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const int = (n: number) => Math.floor(rand() * n);
const u64 = () =>
  [0n, 1n, BigInt(int(1000)), BigInt(int(2 ** 31)) * 7919n, 2n ** 63n - 1n, 2n ** 64n - 1n][int(6)]!;
const i64 = () => [0n, -1n, 1763700000n, -(2n ** 63n), 2n ** 63n - 1n, BigInt(-int(1e9))][int(6)]!;
const i32 = () => [0, 1, 999_999_999, -1, -(2 ** 31), 2 ** 31 - 1][int(6)]!;
const text = () =>
  ['', 'osmosis-1', 'cosmoshub-4', 'chaîne-ü-7', '链-1', '\ufeffbom-1', 'x'.repeat(300)][int(7)]!;
const bytes = (max: number) => Uint8Array.from({ length: int(max) }, () => int(256));
const maybe = <T>(v: () => T): T | undefined => (rand() < 0.2 ? undefined : v());
const height = () => ({ revisionNumber: u64(), revisionHeight: u64() });
const duration = () => ({ seconds: i64(), nanos: i32() });

const PROOF_SPEC = {
  leafSpec: { hash: 1, prehashKey: 0, prehashValue: 1, length: 1, prefix: Uint8Array.of(0) },
  innerSpec: {
    childOrder: [0, 1],
    childSize: 33,
    minPrefixLength: 4,
    maxPrefixLength: 12,
    emptyChild: new Uint8Array(),
    hash: 1,
  },
  maxDepth: 0,
  minDepth: 0,
};

function clientStateAnswerBytes(): Uint8Array {
  const cs = TmClientState.fromPartial({
    chainId: text(),
    trustLevel: { numerator: 1n, denominator: 3n },
    trustingPeriod: maybe(duration),
    unbondingPeriod: maybe(duration),
    maxClockDrift: maybe(duration),
    frozenHeight: maybe(height),
    latestHeight: maybe(height),
    proofSpecs: rand() < 0.5 ? [PROOF_SPEC, PROOF_SPEC] : [],
    upgradePath: ['upgrade', 'upgradedIBCState'],
    allowUpdateAfterExpiry: rand() < 0.5,
  });
  return QueryClientStateResponse.encode({
    clientState: maybe(() => ({
      typeUrl: ['/ibc.lightclients.tendermint.v1.ClientState', '/ibc.lightclients.wasm.v1.ClientState', ''][
        int(3)
      ]!,
      value: TmClientState.encode(cs).finish(),
    })),
    proof: bytes(40),
    proofHeight: height(),
  }).finish();
}

function consensusStateAnswerBytes(): Uint8Array {
  const value = TmConsensusState.encode(
    TmConsensusState.fromPartial({
      timestamp: maybe(duration),
      root: { hash: bytes(33) },
      nextValidatorsHash: bytes(33),
    }),
  ).finish();
  return QueryConsensusStateResponse.encode({
    consensusState: maybe(() => ({ typeUrl: '/ibc.lightclients.tendermint.v1.ConsensusState', value })),
    proof: bytes(20),
    proofHeight: height(),
  }).finish();
}

function connectionsAnswerBytes(): Uint8Array {
  return QueryConnectionsResponse.encode(
    QueryConnectionsResponse.fromPartial({
      connections: Array.from({ length: int(6) }, (_, i) => ({
        id: `connection-${i}`,
        clientId: text(),
        versions: [{ identifier: '1', features: ['ORDER_ORDERED', 'ORDER_UNORDERED'] }],
        state: int(4),
        counterparty: {
          clientId: '07-tendermint-0',
          connectionId: 'connection-9',
          prefix: { keyPrefix: bytes(4) },
        },
        delayPeriod: u64(),
      })),
      pagination: maybe(() => ({ nextKey: bytes(12), total: u64() })),
      height: maybe(height),
    }),
  ).finish();
}

/**
 * Both decoders on the same bytes. Well-formed, and cut anywhere: the same value, or both fail (ours with kind
 * `decode`). With a damaged byte ours may differ where the damage sits in a field the scan does not read (ours
 * steps over it by its length, cosmjs-types decodes it and may run past its end), but fails only as `decode`.
 */
function same<T>(bytesOf: () => Uint8Array, theirs: (b: Uint8Array) => T, ours: (b: Uint8Array) => T) {
  const outcome = (read: (b: Uint8Array) => T, b: Uint8Array) => {
    try {
      return { value: read(b) };
    } catch (err) {
      return { failure: classify(err) };
    }
  };
  for (let i = 0; i < 100; i++) {
    const b = bytesOf();
    expect(ours(b)).toEqual(theirs(b));
    for (let cut = 0; cut < b.length; cut += 1 + int(8)) {
      const v = b.subarray(0, cut);
      const t = outcome(theirs, v);
      const o = outcome(ours, v);
      if ('value' in t) expect(o).toEqual(t);
      else expect(o.failure).toMatchObject({ name: 'EndpointFailure', kind: 'decode' });
    }
    const flipped = Uint8Array.from(b, (x, j) => (j === int(b.length) ? x ^ 0xff : x));
    const o = outcome(ours, flipped);
    if ('failure' in o) expect(o.failure).toMatchObject({ name: 'EndpointFailure', kind: 'decode' });
  }
}

const TM_CLIENT = '/ibc.lightclients.tendermint.v1.ClientState';

describe('answer decoding against cosmjs-types', () => {
  it('reads the client state fields the scan uses', () => {
    same(
      clientStateAnswerBytes,
      (b) => {
        const any = QueryClientStateResponse.decode(b).clientState;
        if (!any || any.typeUrl !== TM_CLIENT) return any && { typeUrl: any.typeUrl };
        const cs = TmClientState.decode(any.value);
        return {
          typeUrl: any.typeUrl,
          cs: [cs.chainId, cs.trustingPeriod, cs.frozenHeight, cs.latestHeight],
        };
      },
      (b) => {
        const any = stateAnswer(b);
        if (!any || any.typeUrl !== TM_CLIENT) return any && { typeUrl: any.typeUrl };
        const cs = tendermintClientState(any.value);
        return {
          typeUrl: any.typeUrl,
          cs: [cs.chainId, cs.trustingPeriod, cs.frozenHeight, cs.latestHeight],
        };
      },
    );
  });

  it('reads the consensus state timestamp', () => {
    same(
      consensusStateAnswerBytes,
      (b) => {
        const any = QueryConsensusStateResponse.decode(b).consensusState;
        return any && { typeUrl: any.typeUrl, ts: TmConsensusState.decode(any.value).timestamp };
      },
      (b) => {
        const any = stateAnswer(b);
        return any && { typeUrl: any.typeUrl, ts: tendermintConsensusTimestamp(any.value) };
      },
    );
  });

  it('reads the client status', () => {
    same(
      () => QueryClientStatusResponse.encode({ status: text() }).finish(),
      (b) => QueryClientStatusResponse.decode(b).status,
      clientStatusAnswer,
    );
  });

  it('reads connection pages', () => {
    same(
      connectionsAnswerBytes,
      (b) => {
        const res = QueryConnectionsResponse.decode(b);
        return {
          connections: res.connections.map((c) => ({ id: c.id, clientId: c.clientId, state: c.state })),
          nextKey: res.pagination?.nextKey,
        };
      },
      connectionsAnswer,
    );
    expect(State.STATE_OPEN).toBe(3);
  });

  it('rejects what no protobuf decoder accepts (the simulator garbage) as a decode failure', () => {
    const garbage = Uint8Array.from([0x07, ...new TextEncoder().encode('not protobuf')]);
    for (const read of [stateAnswer, clientStatusAnswer, connectionsAnswer]) {
      let err: unknown;
      try {
        read(garbage);
      } catch (e) {
        err = e;
      }
      expect(classify(err)).toMatchObject({ name: 'EndpointFailure', kind: 'decode' });
    }
  });
});

describe('request encoding', () => {
  it('finishExact gives the bytes finish() gives', () => {
    // Writing is destructive for 64-bit varints: each writer is finished once.
    for (let i = 0; i < 200; i++) {
      const clientState = { clientId: text() };
      const consensusState = QueryConsensusStateRequest.fromPartial({
        clientId: text(),
        ...height(),
        latestHeight: rand() < 0.5,
      });
      const connections = {
        pagination: { key: bytes(20), offset: 0n, limit: u64(), countTotal: false, reverse: false },
      };
      const requests: (() => BinaryWriter)[] = [
        () => QueryClientStateRequest.encode(clientState),
        () => QueryConsensusStateRequest.encode(consensusState),
        () => QueryConnectionsRequest.encode(connections),
      ];
      for (const request of requests) expect(finishExact(request())).toEqual(request().finish());
    }
  });
});

/** An RPC client answering every call with `result`, recording the calls. */
function fakeRpc(result: unknown) {
  const calls: unknown[] = [];
  const rpc: RpcClient = {
    execute: async (req) => {
      calls.push(req);
      return { jsonrpc: '2.0', id: req.id, result } as never;
    },
    disconnect: () => undefined,
  };
  return { rpc, calls };
}

/** What a call gave: the value, or the failure as `classify` sorts it (kind and message). */
async function outcomeOf<T>(p: Promise<T>) {
  return p.then(
    (value) => ({ value }),
    (err: unknown) => {
      const c = classify(err);
      return { failure: c.name, kind: 'kind' in c ? c.kind : undefined, message: c.message };
    },
  );
}

/** The same JSON-RPC calls (ids aside). */
const sameCalls = (ours: unknown[], theirs: unknown[]) => {
  const strip = (c: unknown) => ({ ...(c as object), id: 0 });
  expect(ours.map(strip)).toEqual(JSON.parse(JSON.stringify(theirs.map(strip))));
};

describe('status against cosmjs', () => {
  const status = {
    node_info: {
      protocol_version: { p2p: '8', block: '11', app: '0' },
      id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      listen_addr: 'tcp://0.0.0.0:26656',
      network: 'cosmoshub-4',
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
  /** The answer with `value` at `path` (undefined removes the field). */
  const variant = (path: string[], value: unknown) => {
    const copy = structuredClone(status) as Record<string, unknown>;
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
  walk(status, []);
  const odd: unknown[] = [
    undefined,
    null,
    '',
    'zz',
    'abc',
    42,
    1.5,
    true,
    [],
    {},
    ['2026-11-21T12:00:00Z'],
    '-7',
    '1e3',
  ];
  const results: unknown[] = [
    status,
    null,
    'status',
    {},
    ...paths.flatMap((p) => odd.map((v) => variant(p, v))),
    variant(['validator_info', 'pub_key'], { Sum: { value: { ed25519: 'AAAA' } } }),
    variant(['validator_info', 'pub_key'], { Sum: { value: { sr25519: 'AAAA' } } }),
    variant(['validator_info', 'pub_key'], { Sum: { value: {} } }),
    variant(['validator_info', 'pub_key'], { type: 'tendermint/PubKeySecp256k1', value: 'AAAA' }),
    variant(['validator_info', 'pub_key'], { type: 'tendermint/PubKeySecp256k1', value: 'A' }),
    variant(['validator_info', 'proposer_priority'], '-12'),
    variant(['validator_info', 'proposer_priority'], 'x'),
    variant(['sync_info', 'latest_block_time'], '2026-11-21 12:00:00+01:00'),
    variant(['sync_info', 'latest_block_height'], '9007199254740993'),
  ];

  it('gives the same height or the same failure for every answer, with the same call', async () => {
    for (const result of results) {
      const theirs = fakeRpc(result);
      const ours = fakeRpc(result);
      const expected = await outcomeOf(
        Tendermint37Client.create(theirs.rpc)
          .status()
          .then((s) => s.syncInfo.latestBlockHeight),
      );
      const got = await outcomeOf(cometStatus(ours.rpc).then((s) => s.latestBlockHeight));
      expect(got, JSON.stringify(result)).toEqual(expected);
      sameCalls(ours.calls, theirs.calls);
    }
  });
});

describe('abciQuery against cosmjs QueryClient.queryAbci', () => {
  const ok = {
    code: 0,
    log: '',
    info: '',
    index: '0',
    key: null,
    value: 'CgZBY3RpdmU=',
    proofOps: null,
    height: '25000000',
    codespace: '',
  };
  const answers: unknown[] = [
    { response: ok },
    { response: { ...ok, value: '' } },
    { response: { ...ok, value: null, key: 'AAE=' } },
    { response: { ...ok, height: 25000000 } },
    { response: { ...ok, code: 38, log: 'client not found: NotFound', codespace: 'ibc', value: '' } },
    { response: { ...ok, code: '18', log: 'invalid request' } },
    { response: { ...ok, height: '0' } },
    { response: { ...ok, height: undefined } },
    { response: { ...ok, height: '12.5' } },
    { response: { ...ok, height: 1.5 } },
    { response: { ...ok, height: '99999999999999999999' } },
    { response: { ...ok, value: 'not base64!' } },
    { response: { ...ok, value: 'QUJD' + 'R' } },
    { response: { ...ok, value: 42 } },
    { response: { ...ok, codespace: 7 } },
    { response: { ...ok, info: {} } },
    { response: { ...ok, proofOps: { ops: [{ type: 'ics23', key: 'AA==', data: 'AQ==' }] } } },
    { response: { ...ok, proofOps: { ops: [{ type: 'ics23', key: '!', data: 'AQ==' }] } } },
    { response: { ...ok, value: ['AAAA'] } },
    { response: { ...ok, key: 5 } },
    { response: { ...ok, height: true } },
    { response: { ...ok, code: '-3', log: 'negative' } },
    { response: { ...ok, code: 2.5 } },
    { response: { ...ok, index: 'x' } },
    { response: { ...ok, proofOps: { ops: null } } },
    { response: { ...ok, proofOps: { ops: [null] } } },
    { response: { ...ok, proofOps: { ops: [{ key: 'AA==', data: 7 }] } } },
    { response: [] },
    { response: 'yes' },
    { response: null },
    {},
    'x',
  ];

  it('gives the same bytes or the same failure for every answer, with the same call', async () => {
    const request = finishExact(QueryClientStateRequest.encode({ clientId: '07-tendermint-0' }));
    const path = '/ibc.core.client.v1.Query/ClientStatus';
    for (const result of answers) {
      const theirs = fakeRpc(result);
      const ours = fakeRpc(result);
      const cosmjs = createProtobufRpcClient(new QueryClient(Comet38Client.create(theirs.rpc)));
      const asArray = (p: Promise<Uint8Array>) => p.then((v) => [...v]);
      const expected = await outcomeOf(
        asArray(cosmjs.request('ibc.core.client.v1.Query', 'ClientStatus', request) as Promise<Uint8Array>),
      );
      const got = await outcomeOf(asArray(abciQuery(ours.rpc, path, request)));
      expect(got, JSON.stringify(result)).toEqual(expected);
      sameCalls(ours.calls, theirs.calls);
    }
  });
});
