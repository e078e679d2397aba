import { BinaryReader } from 'cosmjs-types/binary';
import { PageRequest, PageResponse } from 'cosmjs-types/cosmos/base/query/v1beta1/pagination';
import { Duration } from 'cosmjs-types/google/protobuf/duration';
import { Timestamp } from 'cosmjs-types/google/protobuf/timestamp';
import { Height } from 'cosmjs-types/ibc/core/client/v1/client';
import { ValidatorUpdate } from 'cosmjs-types/tendermint/abci/types';
import { PublicKey } from 'cosmjs-types/tendermint/crypto/keys';
import { type Codec, message } from './codec.ts';

/**
 * The few interchain_security.ccv.provider.v1 messages tocsin reads (v6.4 / v7 field numbers, from
 * proto/interchain_security/ccv/provider/v1/{query,provider,tx}.proto). Fields tocsin does not use (infraction
 * parameters, reward denoms) are skipped on decode.
 */
export const PROVIDER_QUERY = 'interchain_security.ccv.provider.v1.Query';
export const MSG_OPT_IN_TYPE_URL = '/interchain_security.ccv.provider.v1.MsgOptIn';

export enum ConsumerPhase {
  UNSPECIFIED = 0,
  REGISTERED = 1,
  INITIALIZED = 2,
  LAUNCHED = 3,
  STOPPED = 4,
  DELETED = 5,
}

export interface ConsumerMetadata {
  name: string;
  description: string;
  metadata: string;
}
export const ConsumerMetadata = message<ConsumerMetadata>([
  [1, 'name', 'string'],
  [2, 'description', 'string'],
  [3, 'metadata', 'string'],
]);

export interface ConsumerInitializationParameters {
  initialHeight?: Height;
  genesisHash: Uint8Array;
  binaryHash: Uint8Array;
  spawnTime?: Timestamp;
  unbondingPeriod?: Duration;
  ccvTimeoutPeriod?: Duration;
  transferTimeoutPeriod?: Duration;
  consumerRedistributionFraction: string;
  blocksPerDistributionTransmission: bigint;
  historicalEntries: bigint;
  distributionTransmissionChannel: string;
  connectionId: string;
}
export const ConsumerInitializationParameters = message<ConsumerInitializationParameters>([
  [1, 'initialHeight', Height],
  [2, 'genesisHash', 'bytes'],
  [3, 'binaryHash', 'bytes'],
  [4, 'spawnTime', Timestamp],
  [5, 'unbondingPeriod', Duration],
  [6, 'ccvTimeoutPeriod', Duration],
  [7, 'transferTimeoutPeriod', Duration],
  [8, 'consumerRedistributionFraction', 'string'],
  [9, 'blocksPerDistributionTransmission', 'int64'],
  [10, 'historicalEntries', 'int64'],
  [11, 'distributionTransmissionChannel', 'string'],
  [12, 'connectionId', 'string'],
]);

export interface PowerShapingParameters {
  topN: number;
  validatorsPowerCap: number;
  validatorSetCap: number;
  allowlist: string[];
  denylist: string[];
  minStake: bigint;
  allowInactiveVals: boolean;
  prioritylist: string[];
}
export const PowerShapingParameters = message<PowerShapingParameters>([
  [1, 'topN', 'uint32'],
  [2, 'validatorsPowerCap', 'uint32'],
  [3, 'validatorSetCap', 'uint32'],
  [4, 'allowlist', 'string', true],
  [5, 'denylist', 'string', true],
  [6, 'minStake', 'uint64'],
  [7, 'allowInactiveVals', 'bool'],
  [8, 'prioritylist', 'string', true],
]);

export interface Chain {
  chainId: string;
  clientId: string;
  topN: number;
  minPowerInTopN: bigint;
  validatorsPowerCap: number;
  validatorSetCap: number;
  allowlist: string[];
  denylist: string[];
  /** The phase name, e.g. CONSUMER_PHASE_LAUNCHED. */
  phase: string;
  metadata?: ConsumerMetadata;
  minStake: bigint;
  allowInactiveVals: boolean;
  consumerId: string;
}
export const Chain = message<Chain>([
  [1, 'chainId', 'string'],
  [2, 'clientId', 'string'],
  [3, 'topN', 'uint32'],
  [4, 'minPowerInTopN', 'int64'],
  [5, 'validatorsPowerCap', 'uint32'],
  [6, 'validatorSetCap', 'uint32'],
  [7, 'allowlist', 'string', true],
  [8, 'denylist', 'string', true],
  [9, 'phase', 'string'],
  [10, 'metadata', ConsumerMetadata],
  [11, 'minStake', 'uint64'],
  [12, 'allowInactiveVals', 'bool'],
  [13, 'consumerId', 'string'],
]);

export interface QueryConsumerChainsRequest {
  phase: ConsumerPhase;
  pagination?: PageRequest;
}
export const QueryConsumerChainsRequest = message<QueryConsumerChainsRequest>([
  [1, 'phase', 'int32'],
  [2, 'pagination', PageRequest],
]);
export interface QueryConsumerChainsResponse {
  chains: Chain[];
  pagination?: PageResponse;
}
export const QueryConsumerChainsResponse = message<QueryConsumerChainsResponse>([
  [1, 'chains', Chain, true],
  [2, 'pagination', PageResponse],
]);

export interface ConsumerIdRequest {
  consumerId: string;
}
/** QueryConsumerChainRequest, QueryConsumerChainOptedInValidatorsRequest, ...: `string consumer_id = 1`. */
export const ConsumerIdRequest = message<ConsumerIdRequest>([[1, 'consumerId', 'string']]);

export interface QueryConsumerChainResponse {
  consumerId: string;
  chainId: string;
  ownerAddress: string;
  phase: string;
  metadata?: ConsumerMetadata;
  initParams?: ConsumerInitializationParameters;
  powerShapingParams?: PowerShapingParameters;
  clientId: string;
}
export const QueryConsumerChainResponse = message<QueryConsumerChainResponse>([
  [1, 'consumerId', 'string'],
  [2, 'chainId', 'string'],
  [3, 'ownerAddress', 'string'],
  [4, 'phase', 'string'],
  [5, 'metadata', ConsumerMetadata],
  [6, 'initParams', ConsumerInitializationParameters],
  [7, 'powerShapingParams', PowerShapingParameters],
  [9, 'clientId', 'string'],
]);

export interface QueryConsumerChainOptedInValidatorsResponse {
  validatorsProviderAddresses: string[];
}
export const QueryConsumerChainOptedInValidatorsResponse =
  message<QueryConsumerChainOptedInValidatorsResponse>([[1, 'validatorsProviderAddresses', 'string', true]]);

export interface PairValConAddrProviderAndConsumer {
  providerAddress: string;
  consumerAddress: string;
  consumerKey?: PublicKey;
}
export const PairValConAddrProviderAndConsumer = message<PairValConAddrProviderAndConsumer>([
  [1, 'providerAddress', 'string'],
  [2, 'consumerAddress', 'string'],
  [3, 'consumerKey', PublicKey],
]);
export interface QueryAllPairsValConsAddrByConsumerResponse {
  pairValConAddr: PairValConAddrProviderAndConsumer[];
}
export const QueryAllPairsValConsAddrByConsumerResponse = message<QueryAllPairsValConsAddrByConsumerResponse>(
  [[1, 'pairValConAddr', PairValConAddrProviderAndConsumer, true]],
);

/** QueryConsumerValidatorsValidator, the fields tocsin reads (the rest is skipped on decode). */
export interface QueryConsumerValidatorsValidator {
  providerAddress: string;
  consumerKey?: PublicKey;
  /** The power on the consumer chain (field 5; field 3 `power` is its deprecated twin). */
  consumerPower: bigint;
  providerOperatorAddress: string;
}
export const QueryConsumerValidatorsValidator = message<QueryConsumerValidatorsValidator>([
  [1, 'providerAddress', 'string'],
  [2, 'consumerKey', PublicKey],
  [5, 'consumerPower', 'int64'],
  [9, 'providerOperatorAddress', 'string'],
]);
/**
 * For a LAUNCHED consumer, the validator set the provider persisted when it last queued a VSC packet (epoch end),
 * i.e. what the consumer runs with once the relayer delivered it (keeper/grpc_query.go QueryConsumerValidators).
 */
export interface QueryConsumerValidatorsResponse {
  validators: QueryConsumerValidatorsValidator[];
}
export const QueryConsumerValidatorsResponse = message<QueryConsumerValidatorsResponse>([
  [1, 'validators', QueryConsumerValidatorsValidator, true],
]);

/** interchain_security.ccv.v1.ProviderInfo, without the light-client states tocsin does not read. */
export interface ProviderInfo {
  initialValSet: ValidatorUpdate[];
}
export const ProviderInfo = message<ProviderInfo>([[3, 'initialValSet', ValidatorUpdate, true]]);
/** interchain_security.ccv.v1.ConsumerGenesisState, reduced to what tocsin reads. */
export interface ConsumerGenesisState {
  provider?: ProviderInfo;
  newChain: boolean;
  connectionId: string;
}
export const ConsumerGenesisState = message<ConsumerGenesisState>([
  [2, 'provider', ProviderInfo],
  [3, 'newChain', 'bool'],
  [5, 'connectionId', 'string'],
]);
export interface QueryConsumerGenesisResponse {
  genesisState?: ConsumerGenesisState;
}
export const QueryConsumerGenesisResponse = message<QueryConsumerGenesisResponse>([
  [1, 'genesisState', ConsumerGenesisState],
]);

export interface MsgOptIn {
  /** Deprecated: use consumerId. */
  chainId: string;
  /** The validator's operator address on the provider. */
  providerAddr: string;
  /** JSON of the proto Any, e.g. {"@type":"/cosmos.crypto.ed25519.PubKey","key":"..."}; may be "". */
  consumerKey: string;
  signer: string;
  consumerId: string;
}
export const MsgOptIn = message<MsgOptIn>([
  [1, 'chainId', 'string'],
  [2, 'providerAddr', 'string'],
  [3, 'consumerKey', 'string'],
  [4, 'signer', 'string'],
  [5, 'consumerId', 'string'],
]);

/** What `createProtobufRpcClient` from @cosmjs/stargate returns. */
export interface ProtobufRpc {
  request(service: string, method: string, data: Uint8Array): Promise<Uint8Array>;
}

/** The provider's gRPC query service over ABCI (`/interchain_security.ccv.provider.v1.Query/<Method>`). */
export class ProviderQueryClient {
  constructor(private readonly rpc: ProtobufRpc) {}

  private async call<T>(method: string, data: Uint8Array, codec: Codec<T>): Promise<T> {
    return codec.decode(new BinaryReader(await this.rpc.request(PROVIDER_QUERY, method, data)));
  }
  private byId = (consumerId: string) => ConsumerIdRequest.encode({ consumerId }).finish();

  /** Every consumer of a phase (UNSPECIFIED = all), following pagination. */
  async consumerChains(phase = ConsumerPhase.UNSPECIFIED, pageSize = 100n): Promise<Chain[]> {
    const chains: Chain[] = [];
    let key: Uint8Array = new Uint8Array();
    for (let page = 0; page < 1000; page++) {
      const req = QueryConsumerChainsRequest.encode({
        phase,
        pagination: PageRequest.fromPartial({ key, limit: pageSize }),
      }).finish();
      const res = await this.call('QueryConsumerChains', req, QueryConsumerChainsResponse);
      chains.push(...res.chains);
      key = res.pagination?.nextKey ?? new Uint8Array();
      if (!key.length) break;
    }
    return chains;
  }
  consumerChain(consumerId: string): Promise<QueryConsumerChainResponse> {
    return this.call('QueryConsumerChain', this.byId(consumerId), QueryConsumerChainResponse);
  }
  async optedInValidators(consumerId: string): Promise<string[]> {
    const res = await this.call(
      'QueryConsumerChainOptedInValidators',
      this.byId(consumerId),
      QueryConsumerChainOptedInValidatorsResponse,
    );
    return res.validatorsProviderAddresses;
  }
  async addressPairs(consumerId: string): Promise<PairValConAddrProviderAndConsumer[]> {
    const res = await this.call(
      'QueryAllPairsValConsAddrByConsumer',
      this.byId(consumerId),
      QueryAllPairsValConsAddrByConsumerResponse,
    );
    return res.pairValConAddr;
  }
  async consumerValidators(consumerId: string): Promise<QueryConsumerValidatorsValidator[]> {
    const res = await this.call(
      'QueryConsumerValidators',
      this.byId(consumerId),
      QueryConsumerValidatorsResponse,
    );
    return res.validators;
  }
  async consumerGenesis(consumerId: string): Promise<ConsumerGenesisState | undefined> {
    return (await this.call('QueryConsumerGenesis', this.byId(consumerId), QueryConsumerGenesisResponse))
      .genesisState;
  }
}

/** `CONSUMER_PHASE_LAUNCHED` or `"3"` → `LAUNCHED`; anything unknown is returned as sent. */
export function phaseName(raw: string): string {
  const short = raw.replace(/^CONSUMER_PHASE_/, '');
  if (short in ConsumerPhase && Number.isNaN(Number(short))) return short;
  const byNumber = ConsumerPhase[Number(raw) as ConsumerPhase];
  return /^\d+$/.test(raw) && byNumber !== undefined ? byNumber : raw;
}
