import { QueryBalanceRequest, QueryBalanceResponse } from 'cosmjs-types/cosmos/bank/v1beta1/query';
import {
  QueryClientStateRequest,
  QueryClientStatusRequest,
  QueryConsensusStateRequest,
} from 'cosmjs-types/ibc/core/client/v1/query';
import { State } from 'cosmjs-types/ibc/core/connection/v1/connection';
import {
  QueryConnectionRequest,
  QueryConnectionResponse,
  QueryConnectionsRequest,
} from 'cosmjs-types/ibc/core/connection/v1/query';
import {
  clientStatusAnswer,
  connectionsAnswer,
  stateAnswer,
  tendermintClientState,
  tendermintConsensusTimestamp,
} from './queryAnswers.ts';
import type { ChainApi } from './transport/chainEndpoints.ts';
import { finishExact } from './transport/cometRpc.ts';
import { EndpointFailure } from './transport/endpointFailure.ts';

/**
 * The chain queries a scan makes, each decoding the protobuf answer into our own types once, here at the edge.
 * Names are the ABCI query paths, used in `endpoint_error` events.
 */
export const QUERY = {
  status: 'status',
  connections: '/ibc.core.connection.v1.Query/Connections',
  connection: '/ibc.core.connection.v1.Query/Connection',
  clientState: '/ibc.core.client.v1.Query/ClientState',
  consensusState: '/ibc.core.client.v1.Query/ConsensusState',
  clientStatus: '/ibc.core.client.v1.Query/ClientStatus',
  balance: '/cosmos.bank.v1beta1.Query/Balance',
} as const;

export interface IbcHeight {
  revisionNumber: bigint;
  revisionHeight: bigint;
}

export interface OpenConnection {
  connectionId: string;
  clientId: string;
}

export type LightClient =
  | {
      supported: true;
      clientType: '07-tendermint';
      counterpartyChainId: string;
      trustingPeriodS: number;
      latestHeight: IbcHeight;
      frozen: boolean;
    }
  | { supported: false; clientType: string; typeUrl: string };

const TENDERMINT_CLIENT_STATE = '/ibc.lightclients.tendermint.v1.ClientState';
const TENDERMINT_CONSENSUS_STATE = '/ibc.lightclients.tendermint.v1.ConsensusState';

/** Client types by the typeUrl of their client state; the client id prefix (`08-wasm-3`) otherwise. */
const CLIENT_TYPES: Record<string, string> = {
  [TENDERMINT_CLIENT_STATE]: '07-tendermint',
  '/ibc.lightclients.wasm.v1.ClientState': '08-wasm',
  '/ibc.lightclients.solomachine.v3.ClientState': '06-solomachine',
  '/ibc.lightclients.solomachine.v2.ClientState': '06-solomachine',
  '/ibc.lightclients.localhost.v2.ClientState': '09-localhost',
};

export function clientTypeOf(clientId: string, typeUrl?: string): string {
  if (typeUrl && CLIENT_TYPES[typeUrl]) return CLIENT_TYPES[typeUrl];
  return /^(.+)-\d+$/.exec(clientId)?.[1] ?? 'unknown';
}

export async function latestBlockHeight(api: ChainApi): Promise<number> {
  return (await api.status()).latestBlockHeight;
}

/** One page of the connections listing, open ones only. */
export async function openConnectionsPage(
  api: ChainApi,
  pageSize: number,
  key: Uint8Array | undefined,
): Promise<{ connections: OpenConnection[]; nextKey: Uint8Array | undefined }> {
  const request = QueryConnectionsRequest.encode({
    pagination: {
      key: key ?? new Uint8Array(),
      offset: 0n,
      limit: BigInt(pageSize),
      countTotal: false,
      reverse: false,
    },
  });
  const res = connectionsAnswer(await api.abci(QUERY.connections, finishExact(request)));
  const connections = res.connections
    .filter((c) => c.state === State.STATE_OPEN)
    .map((c) => ({ connectionId: c.id, clientId: c.clientId }));
  return { connections, nextKey: res.nextKey?.length ? res.nextKey : undefined };
}

/** A configured connection; undefined when it is not open. */
export async function openConnection(
  api: ChainApi,
  connectionId: string,
): Promise<OpenConnection | undefined> {
  const request = QueryConnectionRequest.encode({ connectionId });
  const res = QueryConnectionResponse.decode(await api.abci(QUERY.connection, finishExact(request)));
  if (!res.connection || res.connection.state !== State.STATE_OPEN) return undefined;
  return { connectionId, clientId: res.connection.clientId };
}

export async function lightClient(api: ChainApi, clientId: string): Promise<LightClient> {
  const request = QueryClientStateRequest.encode({ clientId });
  const clientState = stateAnswer(await api.abci(QUERY.clientState, finishExact(request)));
  if (!clientState) throw new EndpointFailure('decode', `no client state in the answer for ${clientId}`);
  if (clientState.typeUrl !== TENDERMINT_CLIENT_STATE) {
    return {
      supported: false,
      clientType: clientTypeOf(clientId, clientState.typeUrl),
      typeUrl: clientState.typeUrl,
    };
  }
  const cs = tendermintClientState(clientState.value);
  if (!cs.latestHeight || !cs.trustingPeriod)
    throw new EndpointFailure(
      'decode',
      `client state of ${clientId} has no latest height or trusting period`,
    );
  const frozen =
    (cs.frozenHeight?.revisionHeight ?? 0n) !== 0n || (cs.frozenHeight?.revisionNumber ?? 0n) !== 0n;
  return {
    supported: true,
    clientType: '07-tendermint',
    counterpartyChainId: cs.chainId,
    trustingPeriodS: Number(cs.trustingPeriod.seconds) + cs.trustingPeriod.nanos / 1e9,
    latestHeight: {
      revisionNumber: cs.latestHeight.revisionNumber,
      revisionHeight: cs.latestHeight.revisionHeight,
    },
    frozen,
  };
}

/** The consensus-state timestamp at `height`: the header time the client was last updated to, in ms. */
export async function consensusTimestampMs(
  api: ChainApi,
  clientId: string,
  height: IbcHeight,
): Promise<number> {
  const request = QueryConsensusStateRequest.encode(
    QueryConsensusStateRequest.fromPartial({
      clientId,
      revisionNumber: height.revisionNumber,
      revisionHeight: height.revisionHeight,
      latestHeight: false,
    }),
  );
  const consensusState = stateAnswer(await api.abci(QUERY.consensusState, finishExact(request)));
  // As cosmjs' consensusStateTm (the message matches `classify`'s decode failures).
  if (consensusState?.typeUrl !== TENDERMINT_CONSENSUS_STATE)
    throw new Error(`Unexpected client state type: ${consensusState?.typeUrl}`);
  const timestamp = tendermintConsensusTimestamp(consensusState.value);
  if (!timestamp) throw new EndpointFailure('decode', `consensus state of ${clientId} has no timestamp`);
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}

export async function clientStatus(api: ChainApi, clientId: string): Promise<string> {
  const request = QueryClientStatusRequest.encode({ clientId });
  return clientStatusAnswer(await api.abci(QUERY.clientStatus, finishExact(request)));
}

export async function balance(api: ChainApi, address: string, denom: string): Promise<bigint> {
  const request = QueryBalanceRequest.encode({ address, denom });
  const b = QueryBalanceResponse.decode(await api.abci(QUERY.balance, finishExact(request))).balance;
  // As cosmjs' bank extension (kind `other`).
  if (!b) throw new Error('condition is not truthy');
  if (!/^\d+$/.test(b.amount))
    throw new EndpointFailure('decode', `balance amount "${b.amount}" is not an integer`);
  return BigInt(b.amount);
}
