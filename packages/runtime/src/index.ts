export { type BalanceSample, type BurnRate, burnRate } from './burnRate.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export {
  CONFIG_SECTIONS,
  type CommonConfig,
  ConfigError,
  type ConfigSection,
  commonConfig,
  configEnvVariables,
  configFileFrom,
  displayOf,
  envOverrides,
  isConfigError,
  type LoadedConfig,
  loadConfig,
} from './config.ts';
export { readConfigFile } from './configFile.ts';
export { didYouMean, parseConfigValue } from './configIssues.ts';
export { toDisplay } from './displayAmount.ts';
export {
  DURATION_UNIT_PATTERN,
  DURATION_UNITS,
  duration,
  formatDuration,
  formatSeconds,
  interval,
  intervalOrOff,
  MAX_TIMER_MS,
  parseDuration,
  parseWhen,
  positiveDuration,
} from './duration.ts';
export { EXIT_CODES } from './exitCodes.ts';
export {
  createHttpServer,
  isPortInUseError,
  PortInUseError,
  type ReadinessCheck,
  type ReadinessResult,
  StartupServer,
} from './http.ts';
export { createLogger, type Logger, REDACT_PATHS, scrubbingStream } from './logger.ts';
export { createMetrics, type Metrics, Tally } from './metrics.ts';
export { NODE_OPTIONS_FILE, nodeOptionsOf } from './nodeOptions.ts';
export { redactUrl, redactUrlsIn } from './redact.ts';
export { runService } from './runService.ts';
export {
  isSecretFileError,
  knownSecrets,
  readSecretFile,
  registerSecret,
  SecretFileError,
} from './secrets.ts';
export {
  type ConsumeSpec,
  isStartupError,
  type MigrationSet,
  type RunningService,
  type ServiceContext,
  type ServiceDefinition,
  type StartOptions,
  StartupError,
  startService,
} from './service.ts';
export { sha256 } from './sha256.ts';
export { untilStopped } from './untilStopped.ts';
