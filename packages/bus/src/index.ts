export { fastEventDecoder, fastNotificationDecoder } from './compiledDecoders.ts';
export { type BusConnectOptions, connectBus, isAuthError } from './connection.ts';
export {
  type ConsumeLoop,
  type ConsumeLoopOptions,
  type ConsumeObserver,
  DEFAULT_MAX_DELIVER,
  type Decoded,
  defaultBackoff,
  type MessageContext,
  startConsumeLoop,
} from './consumer.ts';
export { type DeadLetter, type DeadLetterCause, deadLetterJson } from './deadLetter.ts';
export { decodeEvent, decodeNotification, subjectIssue } from './decoders.ts';
export {
  EventValidationError,
  isEventValidationError,
  isPermanent,
  isUnavailable,
  PermanentError,
} from './errors.ts';
export { type Log, silentLog } from './log.ts';
export {
  type ConsumerSettings,
  defaultStreamSettings,
  isNotFound,
  nanos,
  provisionConsumer,
  provisionStreams,
  type StreamSettings,
} from './provision.ts';
export {
  createPublisher,
  messageId,
  type Publisher,
  type PublisherOptions,
  type PublishInput,
  type PublishResult,
} from './publisher.ts';
export {
  callRpc,
  callService,
  isRpcError,
  RpcError,
  type RpcReply,
  type RpcService,
  type ServeRpcOptions,
  serveRpc,
} from './rpc.ts';
export { isStreamPublishError, StreamPublishError, StreamPublisher } from './streamPublish.ts';
export {
  AckFloorAge,
  type ConsumerHealth,
  type ConsumerWatch,
  type ConsumerWatchOptions,
  judge,
  watchConsumer,
} from './watch.ts';
