import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ConsumeLoop,
  type ConsumeLoopOptions,
  connectBus,
  createPublisher,
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
import { createHttpServer, type ReadinessCheck } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { readSecretFile, SecretFileError } from './secrets.ts';

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

  const needsDb = Boolean(def.migrations || def.needsDatabase);
  let pool: Pool | undefined;
  if (needsDb) {
    const url = config.database.url_file ? readSecretFile(config.database.url_file) : config.database.url;
    if (!url)
      throw new ConfigError(config.file ?? 'environment', ['database.url: required (or set DATABASE_URL)']);
    await migrate({ url, dir: storeMigrations, service: 'store', schema: config.database.schema });
    const sets =
      typeof def.migrations === 'string' ? [{ name: def.name, dir: def.migrations }] : (def.migrations ?? []);
    for (const set of sets) {
      const applied = await migrate({ url, dir: set.dir, service: set.name, schema: config.database.schema });
      if (applied.length) log.info({ applied, set: set.name }, 'migrations applied');
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
    );
    for (const c of warm) c.release();
  }

  const nc = await connectBus({
    url: config.nats.url,
    name: `${def.name}:${config.instance}`,
    log,
    ...(config.nats.token_file ? { token: readSecretFile(config.nats.token_file) } : {}),
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
  const jsm = await provisionStreams(nc, subj, {
    duplicateWindowMs: config.nats.duplicate_window,
    maxAgeMs: config.nats.retention,
    replicas: config.nats.replicas,
  });
  const publisher = createPublisher({
    nc,
    subjects: subj,
    instance: config.instance,
    now: () => clock.now(),
  });

  // Consumers add theirs (`consumer:<durable>`) as they start.
  const checks: Record<string, ReadinessCheck> = {
    nats: () => natsUp,
    ...(pool ? { postgres: () => ping(pool!) } : {}),
  };
  const http = createHttpServer({ log, metrics, checks });

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
      const consumerLog = log.child({ consumer: spec.durable });
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
        log: consumerLog,
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
      checks[`consumer:${spec.durable}`] = () => {
        const h = watch.health;
        return { ready: !h.stuck, reason: h.reason };
      };
      stops.push(() => loop.stop());
      stops.push(() => watch.stop());
      return loop;
    },
  };

  await def.start(ctx);

  const host = config.http.host;
  const port = config.http.port ?? def.defaultPort ?? 0;
  await http.listen({ host, port });
  const addr = http.server.address();
  const url = `http://${host}:${typeof addr === 'object' && addr ? addr.port : port}`;
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
  log.info(
    { url, nats: config.nats.url.replace(/\/\/[^@]*@/, '//'), prefix: config.subject_prefix },
    `${def.name} started`,
  );

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

/**
 * The process entry point of a service: prints config errors (one line per bad field, no stack) and exits 1;
 * drains on SIGTERM/SIGINT, exiting within 10 s whatever happens.
 */
export async function runService<S extends z.ZodType>(
  def: ServiceDefinition<S>,
  opts: StartOptions = {},
): Promise<void> {
  let running: RunningService<z.output<S>> | undefined;
  let pending: string | undefined;
  const shutdown = (signal: string) => {
    if (!running) {
      // Still starting: stop as soon as start completes.
      pending ??= signal;
      return;
    }
    const svc = running;
    svc.ctx.log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      svc.ctx.log.error('stop took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    svc.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Installed before starting, so a signal during start-up still drains instead of killing the process.
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  try {
    running = await startService(def, opts);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SecretFileError) {
      process.stderr.write(`${def.name}: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${def.name}: failed to start: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  }
  if (pending) shutdown(pending);
}
