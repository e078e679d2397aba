export type { ClientStatus, IbcClient, IbcHeight } from './chainModel.ts';
export { ChainModel, NetworkModel, revisionNumberOf } from './chainModel.ts';
export { benchScenarioPath, demoScenarioPath, type RunCosmosSimOptions, runCosmosSim } from './cli.ts';
export type { AbciEvent, CometEvent, TxEventInput } from './cometEvents.ts';
export { newBlockEvent, txEvent } from './cometEvents.ts';
// The CometBFT transport, for other simulators that speak CometBFT RPC (tools/sim-ics).
export { type BlockSource, blockIdJson, blockJson, rfc3339Nanos, statusJson } from './cometJson.ts';
export type { EndpointStats } from './endpointStats.ts';
export { EndpointCounters } from './endpointStats.ts';
export { type EventMap, matchesEventQuery, parseEventQuery } from './eventQuery.ts';
export type { Fault, FaultKind } from './faults.ts';
export { type EffectiveFault, effectiveFault } from './faults.ts';
export { fakeHash } from './lightClientStates.ts';
export {
  decodeRpcRequest,
  type RpcId,
  type RpcRequest,
  type RpcResponse,
  rpcError,
  rpcResult,
} from './rpcMethods.ts';
export {
  type ChainSpec,
  type ClientSpec,
  type ConnectionSpec,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type ScenarioIssue,
  type TimelineAction,
  type WalletSpec,
} from './scenario.ts';
export { randomInt, seededRandom } from './seededRandom.ts';
export { type Endpoint, type SimBackend, type SimServer, startSimServer } from './server.ts';
export {
  type ChainInfo,
  type CosmosSim,
  type CosmosSimOptions,
  type SimEvent,
  startCosmosSim,
} from './simulator.ts';
export { type Subscriber, SubscriptionHub } from './subscriptions.ts';
