import {
  Chain,
  ConsumerGenesisState,
  ConsumerIdRequest,
  ConsumerInitializationParameters,
  ConsumerPhase,
  PowerShapingParameters,
  PROVIDER_QUERY,
  QueryAllPairsValConsAddrByConsumerResponse,
  QueryConsumerChainOptedInValidatorsResponse,
  QueryConsumerChainResponse,
  QueryConsumerChainsRequest,
  QueryConsumerChainsResponse,
  QueryConsumerGenesisResponse,
  QueryConsumerValidatorsResponse,
} from '@tocsin/ics-proto';
import { PubKey } from 'cosmjs-types/cosmos/crypto/ed25519/keys';
import { QueryValidatorsRequest, QueryValidatorsResponse } from 'cosmjs-types/cosmos/staking/v1beta1/query';
import { BondStatus, bondStatusFromJSON, Validator } from 'cosmjs-types/cosmos/staking/v1beta1/staking';
import { Timestamp } from 'cosmjs-types/google/protobuf/timestamp';
import { consumerValSetOf } from './consumerChains.ts';
import {
  consumerConsAddress,
  type ProviderModel,
  phaseEnum,
  type SimConsumer,
  ZERO_TIME_UNIX_S,
} from './providerModel.ts';

export interface AbciResult {
  code: number;
  log: string;
  codespace: string;
  value: Uint8Array;
}

const ok = (value: Uint8Array): AbciResult => ({ code: 0, log: '', codespace: '', value });
/** What baseapp answers for a path no module serves (sdkerrors.ErrUnknownRequest). */
const unknownPath = (path: string): AbciResult => ({
  code: 6,
  log: `unknown query path: ${path}: unknown request`,
  codespace: 'sdk',
  value: new Uint8Array(),
});
const notFound = (what: string): AbciResult => ({
  code: 38,
  log: `${what}: key not found`,
  codespace: 'sdk',
  value: new Uint8Array(),
});

const PHASE_ORDER = ['UNSPECIFIED', 'REGISTERED', 'INITIALIZED', 'LAUNCHED', 'STOPPED', 'DELETED'];

function spawnTimestamp(c: SimConsumer): Timestamp {
  if (c.spawnTimeMs === null) return Timestamp.fromPartial({ seconds: ZERO_TIME_UNIX_S, nanos: 0 });
  return Timestamp.fromPartial({
    seconds: BigInt(Math.floor(c.spawnTimeMs / 1000)),
    nanos: (c.spawnTimeMs % 1000) * 1_000_000,
  });
}

function chainOf(c: SimConsumer): Chain {
  return Chain.fromPartial({
    chainId: c.chainId,
    clientId: c.clientId,
    topN: c.topN,
    minPowerInTopN: -1n,
    phase: phaseEnum(c.phase),
    metadata: { name: c.name, description: '', metadata: '' },
    consumerId: c.consumerId,
  });
}

/** Answers one ABCI query against the provider model: x/provider's and x/staking's gRPC query paths. */
export function runAbciQuery(
  model: ProviderModel,
  path: string,
  data: Uint8Array,
  height: number,
): AbciResult {
  const providerPrefix = `/${PROVIDER_QUERY}/`;
  if (path.startsWith(providerPrefix)) {
    if (!model.scenario.provider_module) return unknownPath(path);
    return providerQuery(model, path.slice(providerPrefix.length), data, path);
  }
  if (path === '/cosmos.staking.v1beta1.Query/Validators') return stakingValidators(model, data, height);
  return unknownPath(path);
}

function providerQuery(model: ProviderModel, method: string, data: Uint8Array, path: string): AbciResult {
  if (method === 'QueryConsumerChains') {
    const req = QueryConsumerChainsRequest.decode(data);
    const phase = PHASE_ORDER[req.phase];
    const chains = [...model.consumers.values()]
      .filter((c) => req.phase === ConsumerPhase.UNSPECIFIED || c.phase === phase)
      .map(chainOf);
    // One page holds everything unless a limit is asked; then the key is the next offset.
    const offset = req.pagination?.key?.length ? Number(Buffer.from(req.pagination.key).toString()) : 0;
    const limit = Number(req.pagination?.limit ?? 0n) || chains.length;
    const page = chains.slice(offset, offset + limit);
    const next = offset + limit < chains.length ? Buffer.from(String(offset + limit)) : new Uint8Array();
    return ok(
      QueryConsumerChainsResponse.encode({
        chains: page,
        pagination: { nextKey: next, total: BigInt(chains.length) },
      }).finish(),
    );
  }
  const { consumerId } = ConsumerIdRequest.decode(data);
  const c = model.consumers.get(consumerId);
  const known = [
    'QueryConsumerChain',
    'QueryConsumerChainOptedInValidators',
    'QueryAllPairsValConsAddrByConsumer',
    'QueryConsumerGenesis',
    'QueryConsumerValidators',
  ];
  if (!known.includes(method)) return unknownPath(path);
  if (!c) return notFound(`consumer id ${consumerId}`);
  switch (method) {
    case 'QueryConsumerChain':
      return ok(
        QueryConsumerChainResponse.encode(
          QueryConsumerChainResponse.fromPartial({
            consumerId: c.consumerId,
            chainId: c.chainId,
            ownerAddress: c.owner,
            phase: phaseEnum(c.phase),
            metadata: { name: c.name, description: '', metadata: '' },
            initParams: ConsumerInitializationParameters.fromPartial({
              initialHeight: { revisionNumber: 1n, revisionHeight: 1n },
              spawnTime: spawnTimestamp(c),
              unbondingPeriod: { seconds: 1_728_000n, nanos: 0 },
              ccvTimeoutPeriod: { seconds: 2_419_200n, nanos: 0 },
              transferTimeoutPeriod: { seconds: 3600n, nanos: 0 },
              consumerRedistributionFraction: '0.75',
              blocksPerDistributionTransmission: 1000n,
              historicalEntries: 10000n,
            }),
            powerShapingParams: PowerShapingParameters.fromPartial({ topN: c.topN }),
            clientId: c.clientId,
          }),
        ).finish(),
      );
    case 'QueryConsumerChainOptedInValidators':
      return ok(
        QueryConsumerChainOptedInValidatorsResponse.encode({
          validatorsProviderAddresses: c.optedIn,
        }).finish(),
      );
    case 'QueryAllPairsValConsAddrByConsumer':
      return ok(
        QueryAllPairsValConsAddrByConsumerResponse.encode({
          pairValConAddr: [...c.keys].map(([providerAddress, key]) => ({
            providerAddress,
            consumerAddress: consumerConsAddress(key),
            consumerKey: { ed25519: Buffer.from(key, 'base64') },
          })),
        }).finish(),
      );
    case 'QueryConsumerValidators':
      // Launched: the set last sent in a VSC packet; before launch: the set it would get now (keeper/grpc_query.go).
      return ok(
        QueryConsumerValidatorsResponse.encode({
          validators: (c.phase === 'LAUNCHED' ? c.providerValSet : consumerValSetOf(model, c)).map((v) => ({
            providerAddress: v.providerAddress,
            consumerKey: { ed25519: Buffer.from(v.consumerKey, 'base64') },
            consumerPower: v.power,
            providerOperatorAddress: v.operatorAddress,
          })),
        }).finish(),
      );
    default: {
      // QueryConsumerGenesis: only a launched consumer has one.
      if (c.phase !== 'LAUNCHED' && c.phase !== 'STOPPED')
        return notFound(`consumer genesis for ${consumerId}`);
      const genesis = ConsumerGenesisState.fromPartial({
        provider: {
          initialValSet: c.initialValSet.map((v) => ({ pubKey: { ed25519: v.pubKey }, power: v.power })),
        },
        newChain: true,
      });
      return ok(QueryConsumerGenesisResponse.encode({ genesisState: genesis }).finish());
    }
  }
}

const STATUS = {
  bonded: BondStatus.BOND_STATUS_BONDED,
  unbonding: BondStatus.BOND_STATUS_UNBONDING,
  unbonded: BondStatus.BOND_STATUS_UNBONDED,
} as const;

/** x/staking's Validators at `height`: tokens as they were after that block (the timeline's set_tokens). */
function stakingValidators(model: ProviderModel, data: Uint8Array, height: number): AbciResult {
  const req = QueryValidatorsRequest.decode(data);
  const wanted = req.status ? bondStatusFromJSON(req.status) : undefined;
  const validators = [...model.validators.values()]
    .filter((v) => wanted === undefined || STATUS[v.status] === wanted)
    .map((v) => ({ v, tokens: model.tokensAt(v, height) }))
    .map(({ v, tokens }) =>
      Validator.fromPartial({
        operatorAddress: v.operatorAddress,
        consensusPubkey: {
          typeUrl: '/cosmos.crypto.ed25519.PubKey',
          value: PubKey.encode({ key: v.consensusPubkey }).finish(),
        },
        jailed: v.jailed,
        status: STATUS[v.status],
        tokens: tokens.toString(),
        delegatorShares: `${tokens}000000000000000000`,
        description: { moniker: v.moniker, identity: '', website: '', securityContact: '', details: '' },
        minSelfDelegation: '1',
      }),
    );
  return ok(
    QueryValidatorsResponse.encode({
      validators,
      pagination: { nextKey: new Uint8Array(), total: BigInt(validators.length) },
    }).finish(),
  );
}
