export { type BusConnectOptions, connectBus } from './connection.ts';
export {
  type ConsumeLoop,
  type ConsumeLoopOptions,
  type ConsumeObserver,
  type DeadLetter,
  type Decoded,
  defaultBackoff,
  type MessageContext,
  startConsumeLoop,
} from './consumer.ts';
export { decodeEvent, decodeNotification, subjectIssue } from './decoders.ts';
export { EventValidationError, isPermanent, PermanentError } from './errors.ts';
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
export { callRpc, RpcError, type RpcReply, type ServeRpcOptions, serveRpc } from './rpc.ts';
