import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ConsumeLoop,
  type ConsumeLoopOptions,
  connectBus,
  createPublisher,
  isAuthError,
  type Publisher,
  provisionConsumer,
  provisionStreams,
  startConsumeLoop,
  watchConsumer,
} from '@tocsin/bus';
import { newId, type Subjects, subjects as subjectsFor, system } from '@tocsin/events';
import {
  createPool,
  isDbUnavailable,
  isPermanentDbError,
  migrate,
  type Pool,
  ping,
  storeMigrations,
} from '@tocsin/store';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { type Clock, systemClock } from './clock.ts';
import { ConfigError, configFileFrom, type LoadedConfig, loadConfig } from './config.ts';
import { createHttpServer, type ReadinessCheck, StartupServer } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { countingPublisher, createMetrics, type Metrics } from './metrics.ts';
import { redactUrl, redactUrlsIn } from './redact.ts';
import { readSecretFile } from './secrets.ts';

export interface ServiceDefinition<S extends z.ZodType = z.ZodType> {
  /** Service name: a subject token, e.g. `alerter`. */
  name: string;
  version?: string;
  /** This service's config section and its schema. */
  config?: { section: string; schema: S };
  /**
   * SQL migrations; implies the service needs PostgreSQL. A folder (history kept under the service's name), or
   * several sets, e.g. a shared package's tables plus the service's own.
   */
  migrations?: string | MigrationSet[];
  needsDatabase?: boolean;
  defaultPort?: number;
  start(ctx: ServiceContext<z.output<S>>): Promise<void>;
}

export interface MigrationSet {
  /** Name of the history table/lock: one per set, shared by every service that applies it. */
  name: string;
  dir: string;
}

export interface ConsumeSpec<T>
  extends Omit<ConsumeLoopOptions<T>, 'nc' | 'stream' | 'deadLetterSubject' | 'log' | 'observer'> {
  stream: 'events' | 'alerts';
  filterSubject: string;
  ackWaitMs?: number;
  maxAckPending?: number;
}

export interface ServiceContext<C = unknown> {
  name: string;
  instance: string;
  config: LoadedConfig<z.ZodType>;
  section: C;
  log: Logger;
  nc: NatsConnection;
  subjects: Subjects;
  publisher: Publisher;
  /** Present when the service declared migrations or needsDatabase. */
  pool: Pool;
  metrics: Metrics;
  http: FastifyInstance;
  clock: Clock;
  /** Latest block height per chain, reported in heartbeats. */
  heights: Map<string, number>;
  /** Registers cleanup; hooks run in reverse order on stop. */
  onStop(fn: () => Promise<void> | void): void;
  /** Provisions a durable consumer (shared by replicas) and runs a consume loop until stop. */
  consume<T>(spec: ConsumeSpec<T>): Promise<ConsumeLoop>;
  readSecret(path: string): string;
}

export interface StartOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Raw config merged under the file (tests, the demo). */
  config?: Record<string, unknown>;
  logDest?: NodeJS.WritableStream;
  /** Aborts start-up (a signal before the service is up): startService cleans up and rejects with the reason. */
  signal?: AbortSignal;
}

/** A dependency failed at start-up for a reason a restart may cure (unreachable database): said in one line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  readonly code = 'startup_failed';
}

export function isStartupError(err: unknown): err is StartupError {
  return err instanceof StartupError;
}

/** PostgreSQL refused who we are or what we asked for: the configuration is wrong, a restart cannot help. */
const DATABASE_CONFIG_CODES = new Set(['28000', '28P01', '3D000', '42501', '3F000']);

function databaseError(err: unknown, url: string, source: string): Error {
  const code = (err as { code?: string }).code;
  const reason = redactUrlsIn((err as Error).message ?? String(err));
  if (code && DATABASE_CONFIG_CODES.has(code))
    return ConfigError.file(source, `database.url: PostgreSQL at ${redactUrl(url)} refused: ${reason}`);
  return new StartupError(`PostgreSQL at ${redactUrl(url)}: ${reason}`);
}

export interface RunningService<C = unknown> {
  ctx: ServiceContext<C>;
  /** http://host:port of the service's HTTP server. */
  url: string;
  stop(): Promise<void>;
}

/** Starts a service in this process: config, logging, NATS, PostgreSQL, HTTP, heartbeats, then its own start(). */
export async function startService<S extends z.ZodType>(
  def: ServiceDefinition<S>,
  opts: StartOptions = {},
): Promise<RunningService<z.output<S>>> {
  const env = opts.env ?? process.env;
  const argv = opts.argv ?? process.argv.slice(2);
  const config = loadConfig({
    file: configFileFrom(argv, env),
    env,
    defaults: opts.config,
    ...(def.config ? { section: { name: def.config.section, schema: def.config.schema } } : {}),
  });
  const log = createLogger({
    service: def.name,
    instance: config.instance,
    level: config.log.level,
    dest: opts.logDest,
  });
  const clock = opts.clock ?? systemClock;
  const metrics = createMetrics(def.name);
  const stops: (() => Promise<void> | void)[] = [];
  const heights = new Map<string, number>();
  const started = clock.now();

  // The port first: /healthz and /readyz answer (not ready, naming what start-up waits for) from now on.
  const startup = new StartupServer();
  const host = config.http.host;
  const boundPort = await startup.listen(host, config.http.port ?? def.defaultPort ?? 0);
  const url = `http://${host}:${boundPort}`;
  stops.push(() => startup.close());
  log.info({ url }, `${def.name} starting`);
  const source = config.file ?? 'environment';
  const natsUrl = redactUrl(config.nats.url);
  const step = (waitingFor: string) => {
    opts.signal?.throwIfAborted();
    startup.waitingFor = waitingFor;
  };
  try {
    return await startRest();
  } catch (err) {
    if (opts.signal?.aborted) log.info({ waiting_for: startup.waitingFor }, 'start-up interrupted; stopping');
    for (const fn of stops.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    throw opts.signal?.aborted ? opts.signal.reason : err;
  }

  async function startRest(): Promise<RunningService<z.output<S>>> {
    const needsDb = Boolean(def.migrations || def.needsDatabase);
    let pool: Pool | undefined;
    if (needsDb) {
      const url = config.database.url_file ? readSecretFile(config.database.url_file) : config.database.url;
      if (!url)
        throw new ConfigError(config.file ?? 'environment', ['database.url: required (or set DATABASE_URL)']);
      step(`PostgreSQL at ${redactUrl(url)} (migrations)`);
      try {
        await migrate({ url, dir: storeMigrations, service: 'store', schema: config.database.schema });
        const sets =
          typeof def.migrations === 'string'
            ? [{ name: def.name, dir: def.migrations }]
            : (def.migrations ?? []);
        for (const set of sets) {
          const applied = await migrate({
            url,
            dir: set.dir,
            service: set.name,
            schema: config.database.schema,
          });
          if (applied.length) log.info({ applied, set: set.name }, 'migrations applied');
        }
      } catch (err) {
        throw databaseError(err, url, source);
      }
      pool = createPool({
        url,
        schema: config.database.schema,
        max: config.database.pool_size,
        applicationName: `tocsin-${def.name}`,
      });
      stops.push(() => pool!.end());
      // Open the pool's connections now, not under the first load (a connection costs a TLS/auth round trip).
      const warm = await Promise.all(
        Array.from({ length: Math.min(config.database.pool_size, 10) }, () => pool!.connect()),
      ).catch((err: unknown) => {
        throw databaseError(err, url, source);
      });
      for (const c of warm) c.release();
    }

    step(`NATS at ${natsUrl}`);
    const nc = await connectBus({
      url: config.nats.url,
      name: `${def.name}:${config.instance}`,
      log,
      ...(config.nats.token_file ? { token: readSecretFile(config.nats.token_file) } : {}),
      signal: opts.signal,
      onConnectFailed: (err, attempt) =>
        log.warn(
          { nats: natsUrl, attempt, err: redactUrlsIn(err.message) },
          `cannot connect to NATS at ${natsUrl} (${redactUrlsIn(err.message)}); retrying`,
        ),
    }).catch((err: unknown) => {
      if (isAuthError(err))
        throw ConfigError.file(
          source,
          `nats.token_file: NATS at ${natsUrl} refused the credentials: ${redactUrlsIn((err as Error).message)}`,
        );
      throw err;
    });
    stops.push(async () => {
      await nc.drain().catch(() => undefined);
    });
    // Readiness follows the connection's own status events.
    let natsUp = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') natsUp = false;
        else if (s.type === 'reconnect') natsUp = true;
      }
    })();
    const subj = subjectsFor(config.subject_prefix);
    step(`JetStream streams on NATS at ${natsUrl}`);
    const jsm = await provisionStreams(nc, subj, {
      duplicateWindowMs: config.nats.duplicate_window,
      maxAgeMs: config.nats.retention,
      replicas: config.nats.replicas,
    });
    const publisher = countingPublisher(
      createPublisher({ nc, subjects: subj, instance: config.instance, now: () => clock.now() }),
      metrics,
    );

    // Consumers add theirs (`consumer:<durable>`) as they start.
    const checks: Record<string, ReadinessCheck> = {
      nats: () => natsUp,
      ...(pool ? { postgres: () => ping(pool!) } : {}),
    };
    const http = createHttpServer({ log, metrics, startup, checks });

    const ctx: ServiceContext<z.output<S>> = {
      name: def.name,
      instance: config.instance,
      config,
      section: config.section,
      log,
      nc,
      subjects: subj,
      publisher,
      get pool(): Pool {
        if (!pool) throw new Error(`${def.name} did not declare a database`);
        return pool;
      },
      metrics,
      http,
      clock,
      heights,
      onStop: (fn) => stops.push(fn),
      readSecret: readSecretFile,
      async consume<T>(spec: ConsumeSpec<T>) {
        const stream = spec.stream === 'events' ? subj.streams.events : subj.streams.alerts;
        await provisionConsumer(jsm, {
          stream,
          durable: spec.durable,
          filterSubject: spec.filterSubject,
          ackWaitMs: spec.ackWaitMs,
          maxAckPending: spec.maxAckPending,
        });
        const loop = startConsumeLoop<T>({
          maxDeliver: config.nats.max_deliver,
          // A value PostgreSQL refuses (bad bytes, too long for an index, ...) is refused again on every retry.
          isPermanent: isPermanentDbError,
          // PostgreSQL down is not the message's fault: retried without counting against max_deliver.
          isUnavailable: isDbUnavailable,
          ...spec,
          nc,
          stream,
          deadLetterSubject: subj.deadLetter(spec.stream, spec.durable),
          log: log.child({ consumer: spec.durable }),
          observer: metrics.consumer(spec.durable),
        });
        const watch = watchConsumer({
          jsm,
          stream,
          durable: spec.durable,
          loop,
          stuckAfterMs: config.nats.stuck_after,
          log,
          onCheck: (h) => metrics.consumerHealth(spec.durable, h),
        });
        // The series exist from the start (not stuck), not only after the first check.
        metrics.consumerHealth(spec.durable, watch.health);
        checks[`consumer:${spec.durable}`] = () => {
          const h = watch.health;
          return { ready: !h.stuck, reason: h.reason };
        };
        stops.push(() => loop.stop());
        stops.push(() => watch.stop());
        return loop;
      },
    };

    step(`${def.name} to start`);
    await def.start(ctx);
    opts.signal?.throwIfAborted();
    await startup.serve(http);
    stops.push(() => http.close());

    const beat = (stopping = false) => {
      const event = {
        id: newId(clock.now()),
        source: system.heartbeat.source,
        type: system.heartbeat.type,
        version: system.heartbeat.version,
        chain_id: '-',
        instance: config.instance,
        observed_at: new Date(clock.now()).toISOString(),
        dedup_key: `${def.name}:${config.instance}:${clock.now()}`,
        data: {
          service: def.name,
          ready: !nc.isClosed(),
          uptime_s: (clock.now() - started) / 1000,
          heights: Object.fromEntries(heights),
          stopping,
        },
      };
      nc.publish(subj.health(def.name), JSON.stringify(event));
      metrics.heartbeats.inc();
    };
    beat();
    const timer = setInterval(beat, config.heartbeat_interval);
    timer.unref();
    // The first step of a clean stop: a last heartbeat saying so (flushed when NATS drains, a later step), so the
    // silence that follows a scale-down or a redeploy under a new instance name is not reported as an outage.
    stops.push(() => {
      clearInterval(timer);
      if (!nc.isClosed()) beat(true);
    });
    log.info({ url, nats: natsUrl, prefix: config.subject_prefix }, `${def.name} started`);

    let stopping: Promise<void> | undefined;
    return {
      ctx,
      url,
      stop() {
        stopping ??= (async () => {
          for (const fn of stops.reverse()) {
            try {
              await fn();
            } catch (err) {
              log.warn({ err: String(err) }, 'error during stop');
            }
          }
        })();
        return stopping;
      },
    };
  }
}
