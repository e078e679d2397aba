import {
  clientStatus,
  consensusTimestampMs,
  lightClient,
  type OpenConnection,
  openConnection,
  openConnectionsPage,
  QUERY,
} from '../chainQueries.ts';
import { type ClientObservation, normaliseStatus } from '../clientObservation.ts';
import type { ChainEndpoints } from '../transport/chainEndpoints.ts';
import { isQueryRejected } from '../transport/endpointFailure.ts';

/**
 * The clients to check on a chain: those of every open connection (all pages, no cap), or of the configured
 * connections. Returns client id → its open connection ids.
 */
export async function monitoredClients(
  endpoints: ChainEndpoints,
  configured: string[],
  pageSize: number,
): Promise<Map<string, string[]>> {
  const open: OpenConnection[] = [];
  if (configured.length) {
    const found = await Promise.all(
      configured.map((id) =>
        endpoints
          .run(QUERY.connection, (api) => openConnection(api, id))
          .catch((err: unknown) => {
            if (isQueryRejected(err) && err.notFound) return undefined;
            throw err;
          }),
      ),
    );
    for (const c of found) if (c) open.push(c);
  } else {
    let key: Uint8Array | undefined;
    do {
      const page = await endpoints.run(QUERY.connections, (api) => openConnectionsPage(api, pageSize, key));
      open.push(...page.connections);
      key = page.nextKey;
    } while (key);
  }
  const byClient = new Map<string, string[]>();
  for (const c of open) {
    const list = byClient.get(c.clientId) ?? [];
    list.push(c.connectionId);
    byClient.set(c.clientId, list);
  }
  return byClient;
}

/**
 * Reads one client: client state and ClientStatus together, then the consensus state at the client's latest
 * height. Types other than 07-tendermint are reported as Unsupported. Throws `ChainUnreachable` or
 * `QueryRejected` when the client cannot be read.
 */
export async function observeClient(
  endpoints: ChainEndpoints,
  chainId: string,
  clientId: string,
  connectionIds: string[],
  nowMs: number,
): Promise<ClientObservation> {
  const [state, status] = await Promise.all([
    endpoints.run(QUERY.clientState, (api) => lightClient(api, clientId)),
    endpoints.run(QUERY.clientStatus, (api) => clientStatus(api, clientId)),
  ]);
  const base = { chainId, clientId, connectionIds, observedAtMs: nowMs, clientType: state.clientType };
  if (!state.supported) {
    return {
      ...base,
      counterpartyChainId: null,
      status: 'Unsupported',
      trustingPeriodS: null,
      latestHeight: null,
      lastUpdateMs: null,
    };
  }
  // ibc-go: no consensus state at the latest height means Expired; ClientStatus already says so.
  const lastUpdateMs = await endpoints
    .run(QUERY.consensusState, (api) => consensusTimestampMs(api, clientId, state.latestHeight))
    .catch((err: unknown) => {
      if (isQueryRejected(err) && err.notFound) return null;
      throw err;
    });
  return {
    ...base,
    counterpartyChainId: state.counterpartyChainId,
    status: normaliseStatus(status),
    trustingPeriodS: state.trustingPeriodS,
    latestHeight: state.latestHeight,
    lastUpdateMs,
  };
}
