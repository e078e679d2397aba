import type { ChainSpec, ClientType, ConnectionSpec, Scenario } from './scenario.ts';

/** An IBC height: revision number plus block height in that revision. */
export interface IbcHeight {
  revisionNumber: bigint;
  revisionHeight: bigint;
}

export type ClientStatus = 'Active' | 'Expired' | 'Frozen' | 'Unknown';

export interface ConsensusRecord {
  height: IbcHeight;
  /** Header time of the counterparty block the client was updated to. */
  timestampMs: number;
}

export interface IbcClient {
  clientId: string;
  type: ClientType;
  counterpartyChainId: string;
  trustingPeriodS: number;
  unbondingPeriodS: number;
  maxClockDriftS: number;
  latestHeight: IbcHeight;
  frozen: boolean;
  /** Keyed by `heightKey`; ibc-go keeps old consensus states too, so queries at an old height still work. */
  consensusStates: Map<string, ConsensusRecord>;
}

export type Connection = ConnectionSpec;

interface Balance {
  /** Balance at `sinceMs`; spending is linear from there. */
  amount: bigint;
  sinceMs: number;
  spendPerHour: bigint;
}

const MS_PER_HOUR = 3_600_000n;
/** Block time assumed for counterparties the scenario does not simulate. */
const FOREIGN_BLOCK_TIME_S = 6;
const FOREIGN_HEIGHT_AT_START = 5_000_000;

/** ibc-go `ParseChainID`: `{identifier}-{N}` with N > 0 and no leading zero gives revision N, anything else 0. */
export function revisionNumberOf(chainId: string): bigint {
  const m = chainId.match(/^.*[^\n-]-([1-9][0-9]*)$/);
  return m ? BigInt(m[1]!) : 0n;
}

export function heightKey(h: IbcHeight): string {
  return `${h.revisionNumber}-${h.revisionHeight}`;
}

/**
 * One simulated chain's state. Height and block time are derived from the clock; every method takes `nowMs`
 * so the model stays a pure function of time plus the mutations applied to it.
 */
export class ChainModel {
  readonly chainId: string;
  readonly revisionNumber: bigint;
  readonly blockTimeMs: number;
  readonly clients = new Map<string, IbcClient>();
  readonly connections = new Map<string, Connection>();
  /** Ids in store-key order (lexicographic), which is the order a real node paginates in. */
  readonly clientIds: string[];
  readonly connectionIds: string[];
  private readonly connectionsByClient = new Map<string, string[]>();
  private readonly balances = new Map<string, Map<string, Balance>>();

  constructor(
    readonly spec: ChainSpec,
    readonly startMs: number,
    counterpartyHeightAt: (chainId: string, atMs: number) => number,
  ) {
    this.chainId = spec.chainId;
    this.revisionNumber = revisionNumberOf(spec.chainId);
    this.blockTimeMs = spec.blockTimeS * 1000;
    for (const c of spec.clients) {
      const updatedAtMs = startMs - c.lastUpdateAgoS * 1000;
      const height: IbcHeight = {
        revisionNumber: revisionNumberOf(c.counterpartyChainId),
        revisionHeight: BigInt(c.latestHeight ?? counterpartyHeightAt(c.counterpartyChainId, updatedAtMs)),
      };
      this.clients.set(c.clientId, {
        clientId: c.clientId,
        type: c.type,
        counterpartyChainId: c.counterpartyChainId,
        trustingPeriodS: c.trustingPeriodS,
        unbondingPeriodS: c.unbondingPeriodS,
        maxClockDriftS: c.maxClockDriftS,
        latestHeight: height,
        frozen: c.frozen,
        consensusStates: new Map([[heightKey(height), { height, timestampMs: updatedAtMs }]]),
      });
    }
    for (const cn of spec.connections) {
      this.connections.set(cn.connectionId, { ...cn });
      const list = this.connectionsByClient.get(cn.clientId) ?? [];
      list.push(cn.connectionId);
      this.connectionsByClient.set(cn.clientId, list);
    }
    this.clientIds = [...this.clients.keys()].sort();
    this.connectionIds = [...this.connections.keys()].sort();
    for (const w of spec.wallets) this.setBalance(w.address, w.denom, w.balance, startMs, w.spendPerHour);
  }

  // ---- blocks ----

  /** Stalls, in order: no block is produced from `fromMs` until `toMs` (null: still stalled). */
  private readonly stalls: { fromMs: number; toMs: number | null }[] = [];

  /** Heights advance one per block time from `startHeight` at sim start, except while stalled; never below it. */
  heightAt(nowMs: number): number {
    let producing = nowMs - this.startMs;
    for (const s of this.stalls)
      if (s.fromMs < nowMs) producing -= Math.min(nowMs, s.toMs ?? nowMs) - s.fromMs;
    return this.spec.startHeight + Math.max(0, Math.floor(producing / this.blockTimeMs));
  }

  blockTimeMsAt(height: number): number {
    let at = this.startMs + (height - this.spec.startHeight) * this.blockTimeMs;
    // A block after a stall comes that much later.
    for (const s of this.stalls) if (at > s.fromMs) at += (s.toMs ?? Number.POSITIVE_INFINITY) - s.fromMs;
    return at;
  }

  /** The chain stops producing blocks at `nowMs` (a halt); `resume` lets it go on. */
  stall(nowMs: number): void {
    if (this.stalledSince() === null) this.stalls.push({ fromMs: nowMs, toMs: null });
  }

  resume(nowMs: number): void {
    const last = this.stalls.at(-1);
    if (last && last.toMs === null) last.toMs = Math.max(nowMs, last.fromMs);
  }

  stalledSince(): number | null {
    const last = this.stalls.at(-1);
    return last && last.toMs === null ? last.fromMs : null;
  }

  // ---- IBC clients ----

  latestConsensus(client: IbcClient): ConsensusRecord | undefined {
    return client.consensusStates.get(heightKey(client.latestHeight));
  }

  /**
   * ibc-go 07-tendermint `status()`. ibc-go compares with the latest block time; we compare with the clock
   * itself so expiry lands exactly at `last update + trusting period`, not up to one block later.
   */
  clientStatus(clientId: string, nowMs: number): ClientStatus {
    const client = this.clients.get(clientId);
    if (!client) return 'Unknown';
    if (client.frozen) return 'Frozen';
    // Solo machines have no trusting period. Wasm clients are judged like the Tendermint client they usually wrap.
    if (client.type === '06-solomachine') return 'Active';
    const consensus = this.latestConsensus(client);
    if (!consensus) return 'Expired';
    return consensus.timestampMs + client.trustingPeriodS * 1000 > nowMs ? 'Active' : 'Expired';
  }

  /** A relayer's MsgUpdateClient: a new consensus state stamped `nowMs`. */
  updateClient(clientId: string, nowMs: number, height: number): IbcClient {
    const client = this.requireClient(clientId);
    const latest: IbcHeight = {
      revisionNumber: client.latestHeight.revisionNumber,
      revisionHeight: BigInt(height),
    };
    client.latestHeight = latest;
    client.consensusStates.set(heightKey(latest), { height: latest, timestampMs: nowMs });
    return client;
  }

  freezeClient(clientId: string): IbcClient {
    const client = this.requireClient(clientId);
    client.frozen = true;
    return client;
  }

  requireClient(clientId: string): IbcClient {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`${this.chainId}: unknown client ${clientId}`);
    return client;
  }

  clientConnections(clientId: string): string[] {
    return this.connectionsByClient.get(clientId) ?? [];
  }

  // ---- bank ----

  balanceAt(address: string, denom: string, nowMs: number): bigint {
    const b = this.balances.get(address)?.get(denom);
    if (!b) return 0n;
    const spent = (b.spendPerHour * BigInt(Math.max(0, Math.floor(nowMs - b.sinceMs)))) / MS_PER_HOUR;
    return b.amount > spent ? b.amount - spent : 0n;
  }

  /** Denoms held by an address, sorted as the bank module returns them. */
  denomsOf(address: string): string[] {
    return [...(this.balances.get(address)?.keys() ?? [])].sort();
  }

  setBalance(address: string, denom: string, amount: bigint, nowMs: number, spendPerHour?: bigint): void {
    let byDenom = this.balances.get(address);
    if (!byDenom) {
      byDenom = new Map();
      this.balances.set(address, byDenom);
    }
    const rate = spendPerHour ?? byDenom.get(denom)?.spendPerHour ?? 0n;
    byDenom.set(denom, { amount, sinceMs: nowMs, spendPerHour: rate });
  }

  /** Changes the spend rate from now on; what was spent so far stays spent. */
  setSpendRate(address: string, denom: string, spendPerHour: bigint, nowMs: number): void {
    this.setBalance(address, denom, this.balanceAt(address, denom, nowMs), nowMs, spendPerHour);
  }
}

/** All chains of a scenario. Knows enough about each to pick plausible counterparty heights. */
export class NetworkModel {
  readonly chains = new Map<string, ChainModel>();

  constructor(
    private readonly scenario: Scenario,
    private readonly startMs: number,
  ) {
    for (const spec of scenario.chains) {
      this.chains.set(spec.chainId, new ChainModel(spec, startMs, this.counterpartyHeightAt));
    }
  }

  /** A counterparty's height at `atMs`: the simulated chain's own, or an extrapolation for a foreign one. */
  readonly counterpartyHeightAt = (chainId: string, atMs: number): number => {
    // A simulated chain's own height (it may have stalled); once the models exist.
    const model = this.chains.get(chainId);
    if (model) return Math.max(1, model.heightAt(atMs));
    const spec = this.scenario.chains.find((c) => c.chainId === chainId);
    const blockTimeS = spec?.blockTimeS ?? FOREIGN_BLOCK_TIME_S;
    const heightAtStart = spec?.startHeight ?? FOREIGN_HEIGHT_AT_START;
    return Math.max(1, heightAtStart + Math.floor((atMs - this.startMs) / 1000 / blockTimeS));
  };

  chain(chainId: string): ChainModel {
    const chain = this.chains.get(chainId);
    if (!chain) throw new Error(`unknown chain ${chainId}`);
    return chain;
  }
}
