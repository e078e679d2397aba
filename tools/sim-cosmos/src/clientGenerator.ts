import type { ClientSpec, ClientType, ConnectionSpec, ConnectionState } from './scenario.ts';
import { randomInt, seededRandom } from './seededRandom.ts';

export interface SecondsRange {
  min: number;
  max: number;
}

export interface ClientGenerator {
  count: number;
  seed: number;
  type: ClientType;
  counterpartyChainIds: string[];
  trustingPeriodS: number | SecondsRange;
  lastUpdateAgoS: number | SecondsRange;
  frozenRatio: number;
  connectionState: ConnectionState;
}

/**
 * Expands `generate_clients` into clients, each with one connection. The same seed always gives the same
 * clients, so a benchmark or a failing test can be reproduced exactly.
 */
export function expandClientGenerator(
  g: ClientGenerator,
  nextClientSeq: () => number,
  nextConnectionSeq: () => number,
): { clients: ClientSpec[]; connections: ConnectionSpec[] } {
  const random = seededRandom(g.seed);
  const pick = (v: number | SecondsRange) => (typeof v === 'number' ? v : randomInt(random, v.min, v.max));
  const clients: ClientSpec[] = [];
  const connections: ConnectionSpec[] = [];
  for (let i = 0; i < g.count; i++) {
    const trustingPeriodS = pick(g.trustingPeriodS);
    const clientId = `${g.type}-${nextClientSeq()}`;
    clients.push({
      clientId,
      type: g.type,
      counterpartyChainId: g.counterpartyChainIds[i % g.counterpartyChainIds.length]!,
      trustingPeriodS,
      unbondingPeriodS: Math.round(trustingPeriodS * 1.5),
      maxClockDriftS: 10,
      lastUpdateAgoS: pick(g.lastUpdateAgoS),
      frozen: random() < g.frozenRatio,
    });
    const n = nextConnectionSeq();
    connections.push({
      connectionId: `connection-${n}`,
      clientId,
      state: g.connectionState,
      counterpartyClientId: `07-tendermint-${randomInt(random, 0, 999)}`,
      counterpartyConnectionId: `connection-${randomInt(random, 0, 999)}`,
    });
  }
  return { clients, connections };
}
