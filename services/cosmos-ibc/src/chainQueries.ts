import { State } from 'cosmjs-types/ibc/core/connection/v1/connection';
import { ClientState as TendermintClientState } from 'cosmjs-types/ibc/lightclients/tendermint/v1/tendermint';
import type { ChainApi } from './transport/chainEndpoints.ts';
import { EndpointFailure } from './transport/endpointFailure.ts';

/**
 * The chain queries a scan makes, through cosmjs' QueryClient, each turning the answer into our own types here at
 * the edge.
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
  return (await latestBlock(api)).height;
}

/** The node's latest block: height, header time (ms) and whether the node is still syncing. */
export interface LatestBlock {
  height: number;
  timeMs: number | null;
  catchingUp: boolean;
}

export async function latestBlock(api: ChainApi): Promise<LatestBlock> {
  const { syncInfo } = await api.comet.status();
  const timeMs = syncInfo.latestBlockTime?.getTime();
  return {
    height: syncInfo.latestBlockHeight,
    timeMs: timeMs === undefined || Number.isNaN(timeMs) ? null : timeMs,
    catchingUp: syncInfo.catchingUp,
  };
}

/** One page of the connections listing, open ones only. */
export async function openConnectionsPage(
  api: ChainApi,
  pageSize: number,
  key: Uint8Array | undefined,
): Promise<{ connections: OpenConnection[]; nextKey: Uint8Array | undefined }> {
  const res = await api.connections.Connections({
    pagination: {
      key: key ?? new Uint8Array(),
      offset: 0n,
      limit: BigInt(pageSize),
      countTotal: false,
      reverse: false,
    },
  });
  const connections = res.connections
    .filter((c) => c.state === State.STATE_OPEN)
    .map((c) => ({ connectionId: c.id, clientId: c.clientId }));
  const nextKey = res.pagination?.nextKey;
  return { connections, nextKey: nextKey?.length ? nextKey : undefined };
}

/** A configured connection; undefined when it is not open. */
export async function openConnection(
  api: ChainApi,
  connectionId: string,
): Promise<OpenConnection | undefined> {
  const res = await api.query.ibc.connection.connection(connectionId);
  if (!res.connection || res.connection.state !== State.STATE_OPEN) return undefined;
  return { connectionId, clientId: res.connection.clientId };
}

export async function lightClient(api: ChainApi, clientId: string): Promise<LightClient> {
  // `state`, not `stateTm`: other client types are reported, not failed on.
  const { clientState } = await api.query.ibc.client.state(clientId);
  if (!clientState) throw new EndpointFailure('decode', `no client state in the answer for ${clientId}`);
  if (clientState.typeUrl !== TENDERMINT_CLIENT_STATE) {
    return {
      supported: false,
      clientType: clientTypeOf(clientId, clientState.typeUrl),
      typeUrl: clientState.typeUrl,
    };
  }
  const cs = TendermintClientState.decode(clientState.value);
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
  const { timestamp } = await api.query.ibc.client.consensusStateTm(clientId, height);
  if (!timestamp) throw new EndpointFailure('decode', `consensus state of ${clientId} has no timestamp`);
  return Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}

export async function clientStatus(api: ChainApi, clientId: string): Promise<string> {
  return (await api.clients.ClientStatus({ clientId })).status;
}

export async function balance(api: ChainApi, address: string, denom: string): Promise<bigint> {
  const { balance: b } = await api.bank.Balance({ address, denom });
  if (!b) throw new EndpointFailure('decode', `no balance in the answer for ${address} (${denom})`);
  if (!/^\d+$/.test(b.amount))
    throw new EndpointFailure('decode', `balance amount "${b.amount}" is not an integer`);
  return BigInt(b.amount);
}
