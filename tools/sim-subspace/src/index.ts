export { type AccountState, BlockTree, type SimAccount, type SimBlock, ZERO_HASH } from './chain.ts';
export { benchScenarioPath, demoScenarioPath, type RunSubspaceSimOptions, runSubspaceSim } from './cli.ts';
export {
  AI3,
  accountKey,
  type EventInput,
  type Hex,
  SS58_PREFIX,
  STORAGE,
  SUBSPACE_ENGINE,
  SubspaceCodec,
  TOKEN_DECIMALS,
  TOKEN_SYMBOL,
} from './codec.ts';
export { type BlockActivity, type TransferActivity, TX_FEE, type TxSpec } from './extrinsics.ts';
export { KEPT_PALLETS, runtimeVersion, SYNTHETIC_PALLETS, subspaceMetadataHex } from './metadata.ts';
export { type HeadKind, SimNode } from './node.ts';
export { type RawFetchResult, rawFetchLoop } from './rawFetchLoop.ts';
export {
  loadScenario,
  parseAmount,
  parseScenario,
  type Scenario,
  type ScenarioAction,
  ScenarioError,
  type ScenarioInput,
  type ScenarioIssue,
} from './scenario.ts';
export { type NodeInfo, type SubspaceSim, type SubspaceSimOptions, startSubspaceSim } from './simulator.ts';
