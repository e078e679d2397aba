import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastEventDecoder, isUnavailable } from '@tocsin/bus';
import { type EventEnvelope, registry } from '@tocsin/events';
import {
  ConfigError,
  registerSecret,
  type ServiceContext,
  type ServiceDefinition,
  Tally,
} from '@tocsin/runtime';
import { isDbUnavailable, ping } from '@tocsin/store';
import { Counter, Histogram } from 'prom-client';
import { Alerter } from './alerter.ts';
import { type AlerterConfig, alerterConfig, startProblems } from './config.ts';
import { createBatcher } from './intake/batcher.ts';
import { admit, isFutureEventError, type Received } from './intake/receive.ts';
import { serveAlerterRpc } from './rpc/alerterRpc.ts';
import { loadRules } from './rules/loadRules.ts';
import { createHeartbeatPush, type Health, type PushTarget } from './selfMonitor/heartbeatPush.ts';

export const alerterMigrations = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** What a running alerter exposes to the code that started it (tests, the demo, benchmarks). */
export interface AlerterHandle {
  alerter: Alerter;
  /** Runs the timers now (they also run every tick_interval). */
  tick(): Promise<void>;
  /** The dead-man push, now. */
  pushHeartbeat(): ReturnType<ReturnType<typeof createHeartbeatPush>['push']>;
  health(): Promise<Health>;
  /** Resolves once every event received so far has been applied. */
  idle(): Promise<void>;
}

export interface AlerterServiceOptions {
  onReady?(handle: AlerterHandle): void;
}

const dec = new TextDecoder();

/** A heartbeat travels on `<prefix>.health.<service>`: a system heartbeat of that service, or it is refused. */
function heartbeatSubjectIssue(subject: string, e: EventEnvelope): string | null {
  const service = subject.slice(subject.lastIndexOf('.') + 1);
  const data = e.data as { service?: unknown };
  if (e.source === 'system' && e.type === 'heartbeat' && data.service === service) return null;
  return `(subject): ${subject} does not agree with a ${e.source}.${e.type} event of service ${String(data.service)}`;
}

export function createAlerterService(
  opts: AlerterServiceOptions = {},
): ServiceDefinition<typeof alerterConfig> {
  return {
    name: 'alerter',
    version: '0.1.0',
    config: { section: 'alerter', schema: alerterConfig },
    migrations: alerterMigrations,
    defaultPort: 8070,
    async start(ctx: ServiceContext<AlerterConfig>) {
      const cfg = ctx.section;
      const source = ctx.config.file ?? 'configuration';
      const refused = startProblems(cfg, ctx.config.nats.duplicate_window);
      if (refused.length) throw new ConfigError(source, refused);
      const rules = loadRules(cfg, { source });
      // Counted here, per notification and per transition, and added to the counters when the metrics are read:
      // a labelled increment hashes its labels, thousands of times a second in a burst.
      const notified = new Tally();
      const decided = new Tally();
      new Counter({
        name: 'tocsin_alerter_notifications_total',
        help: 'Notifications published, by transition',
        labelNames: ['transition', 'severity'],
        registers: [ctx.metrics.registry],
        collect() {
          notified.drain(this);
        },
      });
      new Counter({
        name: 'tocsin_alerter_transitions_total',
        help: 'Alert transitions decided (open, fire, resolve, clear, step, notice)',
        labelNames: ['kind'],
        registers: [ctx.metrics.registry],
        collect() {
          decided.drain(this);
        },
      });
      const batchSeconds = new Histogram({
        name: 'tocsin_alerter_batch_duration_seconds',
        help: 'Time to apply one batch of events',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
        registers: [ctx.metrics.registry],
      });
      const alerter = new Alerter({
        pool: ctx.pool,
        publisher: ctx.publisher,
        clock: ctx.clock,
        log: ctx.log,
        rules,
        config: cfg,
        onNotification: (n) => notified.add({ transition: n.transition, severity: n.severity }),
        onTransitions: (kinds) => {
          for (const k of kinds) decided.add({ kind: k });
        },
      });
      await alerter.init();
      const synced = await alerter.maintenance.syncConfig(cfg.maintenance);
      if (synced.added.length || synced.ended.length)
        ctx.log.info(synced, 'maintenance windows of the configuration applied');
      ctx.log.info({ rules: rules.rules.length }, 'rules loaded');

      const batcher = createBatcher<Received>(
        async (events) => {
          const end = batchSeconds.startTimer();
          // Staged: the next batch is judged while this one's commit is in flight (pipelining).
          const staged = await alerter.stageEvents(events);
          return { done: staged.done.then(() => void end()) };
          // An outage fails every item alike; anything else is retried item by item to find the bad one.
        },
        cfg.consumer.batch,
        { isolate: (err) => !isUnavailable(err) && !isDbUnavailable(err) },
      );
      // Stop hooks run in reverse: this one runs after the consumer, the heartbeat subscription and the RPC handlers
      // have stopped, and before NATS drains and the pool closes. What they handed over (a heartbeat batch queued
      // behind the last events, a goodbye) is applied and its notifications published first; before, it ran into
      // the closed pool ("Cannot use a pool after calling end on the pool").
      ctx.onStop(async () => {
        await batcher.idle();
        await alerter.settled();
      });
      const loop = await ctx.consume<EventEnvelope>({
        stream: 'events',
        durable: cfg.consumer.durable,
        filterSubject: ctx.subjects.events(),
        decode: fastEventDecoder(),
        // Received when the stream stored it (deterministic across redeliveries and replicas), or by the alerter's
        // clock if that is earlier. A future-dated event throws a PermanentError: dead-lettered with the reason.
        handler: async (e, m) =>
          batcher.submit(admit(e, Math.min(m.storedAt, ctx.clock.now()), cfg.max_future_skew)),
        batch: cfg.consumer.batch,
        // Flow control is JetStream's (max_ack_pending); the loop's own limit would only add a wait per message.
        concurrency: cfg.consumer.max_ack_pending,
        ackWaitMs: cfg.consumer.ack_wait,
        maxAckPending: cfg.consumer.max_ack_pending,
      });
      let consuming = true;
      void loop.done.finally(() => {
        consuming = false;
      });

      // Heartbeats travel on core NATS (not stored). Every replica hears all of them: last-seen times only move
      // forward, and they give each replica the heights it reports to the dead-man switch.
      const health = ctx.nc.subscribe(ctx.subjects.healthAll(), {
        callback: (err, msg) => {
          if (err) return;
          let parsed: unknown;
          try {
            parsed = JSON.parse(dec.decode(msg.data));
          } catch {
            return;
          }
          const r = registry.validate(parsed);
          const issue = r.ok ? heartbeatSubjectIssue(msg.subject, r.event) : null;
          if (!r.ok || issue) {
            ctx.log.debug(
              { issues: r.ok ? [issue] : r.issues, subject: msg.subject },
              'invalid heartbeat ignored',
            );
            return;
          }
          let received: Received;
          try {
            received = admit(r.event, ctx.clock.now(), cfg.max_future_skew);
          } catch (e) {
            // Heartbeats are not stored, so there is nothing to dead-letter: the reason is logged.
            if (!isFutureEventError(e)) throw e;
            ctx.log.warn({ subject: msg.subject, reason: e.message }, 'heartbeat from the future ignored');
            return;
          }
          batcher.submit(received).catch((e) => ctx.log.warn({ err: String(e) }, 'heartbeat not applied'));
        },
      });
      ctx.onStop(() => health.unsubscribe());

      for (const sub of serveAlerterRpc({ nc: ctx.nc, subjects: ctx.subjects, alerter, log: ctx.log }))
        ctx.onStop(() => sub.unsubscribe());

      let natsUp = true;
      void (async () => {
        for await (const s of ctx.nc.status()) {
          if (s.type === 'disconnect') natsUp = false;
          else if (s.type === 'reconnect') natsUp = true;
        }
      })();
      const checkHealth = async (): Promise<Health> => {
        const reasons: string[] = [];
        if (ctx.nc.isClosed() || !natsUp) reasons.push('nats disconnected');
        if (!(await ping(ctx.pool))) reasons.push('postgresql unreachable');
        if (!consuming) reasons.push('event consumer stopped');
        const e = alerter.lastBatchError;
        if (e && (alerter.lastBatchAt === null || alerter.lastBatchAt < e.at))
          reasons.push(`last batch failed: ${e.error}`);
        return { healthy: reasons.length === 0, reasons };
      };
      const targets: PushTarget[] = cfg.heartbeat_urls.map((t) => {
        if (typeof t === 'string') {
          registerSecret(t);
          return { url: t, method: 'GET' };
        }
        const url = t.url_file ? ctx.readSecret(t.url_file) : t.url!;
        registerSecret(url);
        return { url, method: t.method };
      });
      const pusher = createHeartbeatPush({
        targets,
        heights: () => new Map([...alerter.heights, ...ctx.heights]),
        health: checkHealth,
        instance: ctx.instance,
        log: ctx.log,
      });

      const timers: NodeJS.Timeout[] = [];
      // What a timer started and has not finished: a stop waits for it, before the pool and NATS close.
      let ticking: Promise<void> | null = null;
      let pushing: Promise<void> | null = null;
      if (cfg.tick_interval > 0) {
        const t = setInterval(() => {
          if (ticking) return;
          ticking = alerter
            .tick()
            .catch((err) => ctx.log.warn({ err: String(err) }, 'tick failed'))
            .finally(() => {
              ticking = null;
            });
        }, cfg.tick_interval);
        t.unref();
        timers.push(t);
      }
      if (targets.length && cfg.heartbeat_push_interval > 0) {
        const t = setInterval(() => {
          if (pushing) return;
          pushing = pusher
            .push()
            .then(() => undefined)
            .catch(() => undefined)
            .finally(() => {
              pushing = null;
            });
        }, cfg.heartbeat_push_interval);
        t.unref();
        timers.push(t);
      }
      ctx.onStop(async () => {
        for (const t of timers) clearInterval(t);
        await Promise.all([ticking, pushing]);
      });

      opts.onReady?.({
        alerter,
        tick: () => alerter.tick(),
        pushHeartbeat: () => pusher.push(),
        health: checkHealth,
        idle: async () => {
          await batcher.idle();
          await alerter.published();
        },
      });
    },
  };
}

/** The alerter as deployed (`services/alerter/src/main.ts`). */
export const alerterService = createAlerterService();
