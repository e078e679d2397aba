export { demoScenarioPath, type RunHarmonySimOptions, runHarmonySim } from './cli.ts';
export { type NodeState, nodeMetadata } from './metadata.ts';
export {
  type AnswerKind,
  loadScenario,
  type NodePatch,
  type NodeSpec,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
} from './scenario.ts';
export { type HarmonySim, type HarmonySimOptions, startHarmonySim } from './simulator.ts';
