import { fileURLToPath } from 'node:url';

/** Every phase of a consumer's life, a silent launch and a failed launch (see docs/simulators/ics.md). */
export const everyPhaseScenarioPath = fileURLToPath(
  new URL('../scenarios/every-phase.yaml', import.meta.url),
);
/** A chain without x/provider (ICS removed, e.g. the Cosmos Hub after gaia PR #3998). */
export const noProviderScenarioPath = fileURLToPath(
  new URL('../scenarios/no-provider.yaml', import.meta.url),
);
