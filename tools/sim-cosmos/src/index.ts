export type { ClientStatus, IbcClient, IbcHeight } from './chainModel.ts';
export { ChainModel, NetworkModel, revisionNumberOf } from './chainModel.ts';
export { benchScenarioPath, demoScenarioPath, type RunCosmosSimOptions, runCosmosSim } from './cli.ts';
export type { AbciEvent, CometEvent, TxEventInput } from './cometEvents.ts';
export type { EndpointStats } from './endpointStats.ts';
export type { Fault, FaultKind } from './faults.ts';
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
export {
  type ChainInfo,
  type CosmosSim,
  type CosmosSimOptions,
  type SimEvent,
  startCosmosSim,
} from './simulator.ts';
