export {
  type Alert,
  alert,
  alertState,
  IMPLICIT_LABELS,
  type Notification,
  notification,
  severity,
  TRANSITIONS,
  type Transition,
  transition,
} from './alert.ts';
export { type EventEnvelope, eventEnvelope, idTime, isUlid, newId, token, ulid } from './envelope.ts';
export {
  daysText,
  type MaintenanceTimes,
  type MaintenanceWindow,
  maintenanceTimes,
  maintenanceWindow,
  WEEKDAYS,
} from './maintenance.ts';
export {
  defineEvent,
  type EventData,
  type EventDefinition,
  EventRegistry,
  formatIssues,
  type ValidationResult,
} from './registry.ts';
export * as cosmosIbc from './sources/cosmos-ibc.ts';
export * as harmonySigners from './sources/harmony-signers.ts';
export * as icsCcv from './sources/ics-ccv.ts';
export * as subspaceBlocks from './sources/subspace-blocks.ts';
export * as system from './sources/system.ts';
export {
  DEFAULT_PREFIX,
  maxSeverity,
  resolvePrefix,
  SEVERITIES,
  type Severity,
  type Subjects,
  subjects,
} from './subjects.ts';
export { mayHaveBadText, textIssues } from './text.ts';

import { EventRegistry } from './registry.ts';
import { cosmosIbcEvents } from './sources/cosmos-ibc.ts';
import { harmonySignersEvents } from './sources/harmony-signers.ts';
import { icsCcvEvents } from './sources/ics-ccv.ts';
import { subspaceBlocksEvents } from './sources/subspace-blocks.ts';
import { systemEvents } from './sources/system.ts';

/** Every event type tocsin publishes. Later ingestors add their definitions here. */
export const allEvents = [
  ...systemEvents,
  ...cosmosIbcEvents,
  ...icsCcvEvents,
  ...subspaceBlocksEvents,
  ...harmonySignersEvents,
];
export const registry = new EventRegistry(allEvents);
export * from './rpc.ts';
