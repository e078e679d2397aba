export { actionProblem, resolveAlerts, resolveTargets, silenceMatchers } from './alertActions.ts';
export { type AwaitStateOptions, awaitState } from './awaitState.ts';
export { type BurstOptions, type DigestingProvider, withBurstDigest } from './burst.ts';
export { Coalescer } from './coalescer.ts';
export {
  attemptIdFor,
  type DeliverOptions,
  DeliveryInProgress,
  type DeliveryOutcome,
  type DeliveryResult,
  deliverNotification,
  isDeliveryInProgress,
} from './delivery.ts';
export { type Claimed, DeliveryLog, type NotClaimed, type SentMark } from './deliveryLog.ts';
export {
  type Delivered,
  type DeliveryContext,
  DeliveryError,
  isDeliveryError,
  type Provider,
} from './provider.ts';
export { type DeliveryReason, deliveryReason } from './reason.ts';
export { type RouteConfig, routeChannels, routeConfig } from './routing.ts';
export { SENDER_ICON_LABEL, SENDER_NAME_LABEL, type Sender, senderOf } from './sender.ts';
export {
  DEFAULT_CONCURRENCY,
  type NotifierServiceOptions,
  notifierService,
  notifyMigrations,
} from './service.ts';
export {
  alertLine,
  flapNote,
  isNotice,
  listedLabels,
  renderText,
  SEVERITY_ICON,
  TRANSITION_VERB,
} from './text.ts';
