import { sha256 } from '@cosmjs/crypto';
import { toBech32 } from '@cosmjs/encoding';
import { QueryClient } from '@cosmjs/stargate';
import { type CometClient, connectComet } from '@cosmjs/tendermint-rpc';
import { type ProtobufRpc, ProviderQueryClient, phaseName } from '@tocsin/ics-proto';
import { PageRequest } from 'cosmjs-types/cosmos/base/query/v1beta1/pagination';
import { PubKey } from 'cosmjs-types/cosmos/crypto/ed25519/keys';
import { QueryClientImpl as StakingQuery } from 'cosmjs-types/cosmos/staking/v1beta1/query';
import type { Timestamp } from 'cosmjs-types/google/protobuf/timestamp';

/** Go's zero time.Time in Unix seconds: an unset spawn time, or one reset by a failed launch. */
const ZERO_TIME_UNIX_S = -62135596800n;

export interface ConsumerSnapshot {
  consumerId: string;
  chainId: string;
  name: string;
  owner: string;
  /** Short name (LAUNCHED), or the raw value for a phase tocsin does not know. */
  phase: string;
  rawPhase: string;
  /** null: the zero time (unset or reset). */
  spawnTimeMs: number | null;
  clientId: string;
  topN: number;
  optedIn: string[];
  /** provider valcons → consumer key (base64 ed25519). */
  keys: Record<string, string>;
  initParams: Record<string, unknown>;
}

export interface BondedValidator {
  operatorAddress: string;
  tokens: bigint;
  consAddress: string;
  consensusKey: string;
}

export interface ProviderSnapshot {
  chainId: string;
  height: number;
  consumers: ConsumerSnapshot[];
  bonded: BondedValidator[];
}

/** A query failed because the chain has no x/provider (baseapp's code 6 "unknown query path"). */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
  readonly code = 'provider_unavailable';
}

export function isProviderUnavailableError(err: unknown): err is ProviderUnavailableError {
  return err instanceof ProviderUnavailableError;
}

const NO_DETAILS = new Set(['DELETED']);

export function timestampMs(t: Timestamp | undefined): number | null {
  if (!t || t.seconds <= ZERO_TIME_UNIX_S) return null;
  return Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000);
}

/** valcons of an ed25519 consensus key, with the prefix of the operator address (cosmosvaloper → cosmosvalcons). */
export function consAddressOf(operatorAddress: string, ed25519Key: Uint8Array): string {
  const prefix = operatorAddress.slice(0, operatorAddress.indexOf('valoper1'));
  return toBech32(`${prefix}valcons`, sha256(ed25519Key).subarray(0, 20));
}

/**
 * Reads the provider's state over CometBFT RPC (ABCI queries through cosmjs' QueryClient). Every query of one
 * snapshot asks for the same height (abci_query `height`), so the snapshot is one consistent state, and the bonded
 * validators can be read at the height of a past event.
 */
export class ProviderReader {
  private constructor(
    readonly comet: CometClient,
    private readonly q: QueryClient,
  ) {}

  static async connect(rpcUrl: string): Promise<ProviderReader> {
    const comet = await connectComet(rpcUrl);
    return new ProviderReader(comet, new QueryClient(comet));
  }

  /** A protobuf RPC whose queries are answered at `height` (latest when undefined). */
  private rpcAt(height: number | undefined): ProtobufRpc {
    return {
      request: async (service, method, data) =>
        (await this.q.queryAbci(`/${service}/${method}`, data, height)).value,
    };
  }

  private providerAt(height: number | undefined): ProviderQueryClient {
    return new ProviderQueryClient(this.rpcAt(height));
  }

  async snapshot(): Promise<ProviderSnapshot> {
    const status = await this.comet.status();
    const height = status.syncInfo.latestBlockHeight;
    const provider = this.providerAt(height);
    let chains: Awaited<ReturnType<ProviderQueryClient['consumerChains']>>;
    try {
      chains = await provider.consumerChains();
    } catch (err) {
      const msg = (err as Error).message;
      if (/\(6\)|unknown query path|unknown service/i.test(msg)) throw new ProviderUnavailableError(msg);
      throw err;
    }
    const consumers: ConsumerSnapshot[] = [];
    for (const c of chains) {
      const phase = phaseName(c.phase);
      const base: ConsumerSnapshot = {
        consumerId: c.consumerId,
        chainId: c.chainId,
        name: c.metadata?.name ?? c.chainId,
        owner: '',
        phase,
        rawPhase: c.phase,
        spawnTimeMs: null,
        clientId: c.clientId,
        topN: c.topN,
        optedIn: [],
        keys: {},
        initParams: {},
      };
      if (NO_DETAILS.has(phase)) {
        consumers.push(base);
        continue;
      }
      const [detail, optedIn, pairs] = await Promise.all([
        provider.consumerChain(c.consumerId),
        provider.optedInValidators(c.consumerId),
        provider.addressPairs(c.consumerId),
      ]);
      const ip = detail.initParams;
      consumers.push({
        ...base,
        owner: detail.ownerAddress,
        spawnTimeMs: timestampMs(ip?.spawnTime),
        clientId: detail.clientId || c.clientId,
        optedIn,
        keys: Object.fromEntries(
          pairs.flatMap((p) =>
            p.consumerKey?.ed25519
              ? [[p.providerAddress, Buffer.from(p.consumerKey.ed25519).toString('base64')]]
              : [],
          ),
        ),
        initParams: ip
          ? {
              initial_height: ip.initialHeight
                ? `${ip.initialHeight.revisionNumber}-${ip.initialHeight.revisionHeight}`
                : null,
              unbonding_period_s: ip.unbondingPeriod ? Number(ip.unbondingPeriod.seconds) : null,
              consumer_redistribution_fraction: ip.consumerRedistributionFraction,
              connection_id: ip.connectionId,
            }
          : {},
      });
    }
    return {
      chainId: status.nodeInfo.network,
      height,
      consumers,
      bonded: await this.bonded(height),
    };
  }

  /** Bonded validators at `height` (every page), with the valcons of their ed25519 consensus keys. */
  async bonded(height: number): Promise<BondedValidator[]> {
    const staking = new StakingQuery(this.rpcAt(height));
    const out: BondedValidator[] = [];
    let key: Uint8Array = new Uint8Array();
    for (let page = 0; page < 100; page++) {
      const res = await staking.Validators({
        status: 'BOND_STATUS_BONDED',
        pagination: PageRequest.fromPartial({ key }),
      });
      for (const v of res.validators) {
        if (v.jailed) continue;
        const pk = v.consensusPubkey;
        const raw = pk?.typeUrl === '/cosmos.crypto.ed25519.PubKey' ? PubKey.decode(pk.value).key : undefined;
        out.push({
          operatorAddress: v.operatorAddress,
          tokens: BigInt(v.tokens || '0'),
          consAddress: raw ? consAddressOf(v.operatorAddress, raw) : '',
          consensusKey: raw ? Buffer.from(raw).toString('base64') : '',
        });
      }
      key = res.pagination?.nextKey ?? new Uint8Array();
      if (!key.length) break;
    }
    return out;
  }

  /** Consumer keys (base64) of a launched consumer's initial validator set. */
  async initialValSet(consumerId: string): Promise<string[]> {
    const genesis = await this.providerAt(undefined).consumerGenesis(consumerId);
    return (genesis?.provider?.initialValSet ?? []).flatMap((v) =>
      v.pubKey?.ed25519 ? [Buffer.from(v.pubKey.ed25519).toString('base64')] : [],
    );
  }

  /**
   * The validator set of a launched consumer as the provider last sent it (QueryConsumerValidators): consumer key
   * (base64 ed25519) → consumer power.
   */
  async consumerValSet(consumerId: string): Promise<Map<string, bigint>> {
    const vals = await this.providerAt(undefined).consumerValidators(consumerId);
    return new Map(
      vals.flatMap((v) =>
        v.consumerKey?.ed25519
          ? [[Buffer.from(v.consumerKey.ed25519).toString('base64'), v.consumerPower]]
          : [],
      ),
    );
  }

  /**
   * Height of the latest Tx with this event (`tx_search`, e.g. opt_in.consumer_id='0' AND
   * opt_in.provider_validator_address='…'), at or below `maxHeight`; null when the node indexes no such Tx.
   */
  async txHeight(
    event: string,
    attributes: Record<string, string>,
    maxHeight: number,
  ): Promise<number | null> {
    const query = [
      ...Object.entries(attributes).map(([k, v]) => `${event}.${k}='${v.replace(/'/g, '')}'`),
      `tx.height<=${maxHeight}`,
    ].join(' AND ');
    const res = await this.comet.txSearch({ query, order_by: 'desc', per_page: 1 });
    return res.txs[0]?.height ?? null;
  }

  disconnect(): void {
    this.comet.disconnect();
  }
}
