import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
} from 'cosmjs-types/cosmos/bank/v1beta1/query';
import {
  QueryClientParamsResponse,
  QueryClientStateRequest,
  QueryClientStateResponse,
  QueryClientStatesRequest,
  QueryClientStatesResponse,
  QueryClientStatusRequest,
  QueryClientStatusResponse,
  QueryConsensusStateRequest,
  QueryConsensusStateResponse,
} from 'cosmjs-types/ibc/core/client/v1/query';
import { type ConnectionEnd, State } from 'cosmjs-types/ibc/core/connection/v1/connection';
import {
  QueryClientConnectionsRequest,
  QueryClientConnectionsResponse,
  QueryConnectionClientStateRequest,
  QueryConnectionClientStateResponse,
  QueryConnectionRequest,
  QueryConnectionResponse,
  QueryConnectionsRequest,
  QueryConnectionsResponse,
} from 'cosmjs-types/ibc/core/connection/v1/query';
import { type ChainModel, type Connection, heightKey, type IbcClient } from './chainModel.ts';
import { clientStateAny, consensusStateAny } from './lightClientStates.ts';
import { paginate } from './pagination.ts';
import { invalidRequest, notFound, QueryError, unknownRequest } from './queryErrors.ts';

/** What one query sees: the chain, the simulated time and the height the answer is "at". */
export interface QueryContext {
  chain: ChainModel;
  nowMs: number;
  height: number;
}

export interface AbciResult {
  code: number;
  log: string;
  codespace: string;
  value: Uint8Array;
}

type Route = (data: Uint8Array, ctx: QueryContext) => Uint8Array;

const IBC_PREFIX = new TextEncoder().encode('ibc');
const CONNECTION_VERSIONS = [{ identifier: '1', features: ['ORDER_ORDERED', 'ORDER_UNORDERED'] }];

/** The height proofs would be at: this chain's own revision and current height. */
const proofHeight = (ctx: QueryContext) => ({
  revisionNumber: ctx.chain.revisionNumber,
  revisionHeight: BigInt(ctx.height),
});

function requireId(id: string, what: string): string {
  if (!id.trim()) throw invalidRequest(`${what} identifier cannot be blank`);
  return id;
}

function findClient(ctx: QueryContext, clientId: string): IbcClient {
  const client = ctx.chain.clients.get(requireId(clientId, 'client'));
  if (!client) throw notFound(`${clientId}: light client not found`);
  return client;
}

function findConnection(ctx: QueryContext, connectionId: string): Connection {
  const connection = ctx.chain.connections.get(requireId(connectionId, 'connection'));
  if (!connection) throw notFound(`${connectionId}: connection not found`);
  return connection;
}

function connectionEnd(c: Connection): ConnectionEnd {
  return {
    clientId: c.clientId,
    versions: CONNECTION_VERSIONS,
    state: State[c.state],
    counterparty: {
      clientId: c.counterpartyClientId,
      connectionId: c.counterpartyConnectionId,
      prefix: { keyPrefix: IBC_PREFIX },
    },
    delayPeriod: 0n,
  };
}

const routes: Record<string, Route> = {
  '/ibc.core.client.v1.Query/ClientState': (data, ctx) => {
    const client = findClient(ctx, QueryClientStateRequest.decode(data).clientId);
    return QueryClientStateResponse.encode({
      clientState: clientStateAny(client),
      proof: new Uint8Array(),
      proofHeight: proofHeight(ctx),
    }).finish();
  },

  '/ibc.core.client.v1.Query/ClientStates': (data, ctx) => {
    const { ids, pagination } = paginate(
      ctx.chain.clientIds,
      QueryClientStatesRequest.decode(data).pagination,
    );
    return QueryClientStatesResponse.encode({
      clientStates: ids.map((id) => ({
        clientId: id,
        clientState: clientStateAny(ctx.chain.clients.get(id)!),
      })),
      pagination,
    }).finish();
  },

  '/ibc.core.client.v1.Query/ConsensusState': (data, ctx) => {
    const req = QueryConsensusStateRequest.decode(data);
    const client = findClient(ctx, req.clientId);
    // ibc-go ignores the height in the request when latest_height is set.
    let height = client.latestHeight;
    if (!req.latestHeight) {
      if (req.revisionHeight === 0n) throw invalidRequest('consensus state height cannot be 0');
      height = { revisionNumber: req.revisionNumber, revisionHeight: req.revisionHeight };
    }
    const consensus = client.consensusStates.get(heightKey(height));
    if (!consensus)
      throw notFound(`client-id: ${req.clientId}, height: ${heightKey(height)}: consensus state not found`);
    return QueryConsensusStateResponse.encode({
      consensusState: consensusStateAny(client, consensus),
      proof: new Uint8Array(),
      proofHeight: proofHeight(ctx),
    }).finish();
  },

  '/ibc.core.client.v1.Query/ClientStatus': (data, ctx) => {
    const clientId = requireId(QueryClientStatusRequest.decode(data).clientId, 'client');
    return QueryClientStatusResponse.encode({ status: ctx.chain.clientStatus(clientId, ctx.nowMs) }).finish();
  },

  '/ibc.core.client.v1.Query/ClientParams': () =>
    QueryClientParamsResponse.encode({ params: { allowedClients: ['*'] } }).finish(),

  '/ibc.core.connection.v1.Query/Connections': (data, ctx) => {
    const { ids, pagination } = paginate(
      ctx.chain.connectionIds,
      QueryConnectionsRequest.decode(data).pagination,
    );
    return QueryConnectionsResponse.encode({
      connections: ids.map((id) => ({ id, ...connectionEnd(ctx.chain.connections.get(id)!) })),
      pagination,
      height: proofHeight(ctx),
    }).finish();
  },

  '/ibc.core.connection.v1.Query/Connection': (data, ctx) => {
    const connection = findConnection(ctx, QueryConnectionRequest.decode(data).connectionId);
    return QueryConnectionResponse.encode({
      connection: connectionEnd(connection),
      proof: new Uint8Array(),
      proofHeight: proofHeight(ctx),
    }).finish();
  },

  '/ibc.core.connection.v1.Query/ConnectionClientState': (data, ctx) => {
    const connection = findConnection(ctx, QueryConnectionClientStateRequest.decode(data).connectionId);
    const client = findClient(ctx, connection.clientId);
    return QueryConnectionClientStateResponse.encode({
      identifiedClientState: { clientId: client.clientId, clientState: clientStateAny(client) },
      proof: new Uint8Array(),
      proofHeight: proofHeight(ctx),
    }).finish();
  },

  '/ibc.core.connection.v1.Query/ClientConnections': (data, ctx) => {
    const clientId = requireId(QueryClientConnectionsRequest.decode(data).clientId, 'client');
    const paths = ctx.chain.clientConnections(clientId);
    if (!paths.length) throw notFound(`${clientId}: client connection paths not found`);
    return QueryClientConnectionsResponse.encode({
      connectionPaths: paths,
      proof: new Uint8Array(),
      proofHeight: proofHeight(ctx),
    }).finish();
  },

  '/cosmos.bank.v1beta1.Query/Balance': (data, ctx) => {
    const req = QueryBalanceRequest.decode(data);
    if (!req.address) throw invalidRequest('empty address string is not allowed');
    if (!req.denom) throw invalidRequest('invalid denom');
    const amount = ctx.chain.balanceAt(req.address, req.denom, ctx.nowMs);
    return QueryBalanceResponse.encode({ balance: { denom: req.denom, amount: amount.toString() } }).finish();
  },

  '/cosmos.bank.v1beta1.Query/AllBalances': (data, ctx) => {
    const req = QueryAllBalancesRequest.decode(data);
    if (!req.address) throw invalidRequest('empty address string is not allowed');
    // The bank store deletes zero balances, so a drained denom disappears from the list.
    const held = ctx.chain
      .denomsOf(req.address)
      .filter((denom) => ctx.chain.balanceAt(req.address, denom, ctx.nowMs) > 0n);
    const { ids, pagination } = paginate(held, req.pagination);
    return QueryAllBalancesResponse.encode({
      balances: ids.map((denom) => ({
        denom,
        amount: ctx.chain.balanceAt(req.address, denom, ctx.nowMs).toString(),
      })),
      pagination,
    }).finish();
  },
};

export const ABCI_QUERY_PATHS = Object.keys(routes);

/** Answers one gRPC-over-ABCI query the way baseapp does: errors become a non-zero code, never a throw. */
export function runAbciQuery(path: string, data: Uint8Array, ctx: QueryContext): AbciResult {
  const route = routes[path];
  try {
    if (!route) throw unknownRequest(path);
    return { code: 0, log: '', codespace: '', value: route(data, ctx) };
  } catch (err) {
    if (err instanceof QueryError)
      return { code: err.code, log: err.log, codespace: 'sdk', value: new Uint8Array() };
    // A request that does not decode is the client's fault, as on a real node.
    return {
      code: 18,
      log: `${(err as Error).message}: invalid request`,
      codespace: 'sdk',
      value: new Uint8Array(),
    };
  }
}
