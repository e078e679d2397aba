export { type Clock, ManualClock, systemClock } from './clock.ts';
export {
  type CommonConfig,
  ConfigError,
  commonConfig,
  configFileFrom,
  displayOf,
  envOverrides,
  type LoadedConfig,
  loadConfig,
} from './config.ts';
export { duration, formatDuration, parseDuration } from './duration.ts';
export { createHttpServer, type ReadinessCheck, type ReadinessResult } from './http.ts';
export { createLogger, type Logger, REDACT_PATHS, scrubbingStream } from './logger.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { redactUrl, redactUrlsIn } from './redact.ts';
export { knownSecrets, readSecretFile, registerSecret, SecretFileError } from './secrets.ts';
export {
  type ConsumeSpec,
  type MigrationSet,
  type RunningService,
  runService,
  type ServiceContext,
  type ServiceDefinition,
  type StartOptions,
  startService,
} from './service.ts';
