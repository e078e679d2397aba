export { demoScenarioPath, type RunIcsSimOptions, runIcsSim } from './cli.ts';
export {
  consumerConsAddress,
  goTimeString,
  type Phase,
  ProviderModel,
  type SimConsumer,
  type SimValidator,
} from './providerModel.ts';
export {
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type TimelineAction,
} from './scenario.ts';
export { everyPhaseScenarioPath, noProviderScenarioPath } from './scenarios.ts';
export { type IcsSim, type IcsSimOptions, startIcsSim } from './simulator.ts';
