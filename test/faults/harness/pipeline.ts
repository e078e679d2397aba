import { randomBytes } from 'node:crypto';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher } from '@tocsin/bus';
import { cosmosIbc, type Notification, subjects } from '@tocsin/events';
import pg from 'pg';
import { startReceiver } from './receiver.ts';
import { commonConfig, type ServiceProcess, spawnService, workDir } from './services.ts';

/** How long one fact's publish is retried (a server restart or a cluster's leader election takes seconds). */
const PUBLISH_RETRY_MS = 150_000;

export const RULE = 'ibc-client-expiring';
const TRUSTING = 1_814_400;

/** A client_status fact as cosmos-ibc reports it: `ratio` of the trusting period elapsed. */
function clientStatus(clientId: string, ratio: number) {
  const elapsed = Math.round(TRUSTING * ratio);
  return {
    client_id: clientId,
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    connection_ids: ['connection-0'],
    status: 'Active' as const,
    trusting_period_s: TRUSTING,
    latest_height: { revision_number: '1', revision_height: '100' },
    last_update: '2026-11-20T00:00:00Z',
    elapsed_s: elapsed,
    elapsed_ratio: elapsed / TRUSTING,
    remaining_s: TRUSTING - elapsed,
    expires_at: '2026-12-11T00:00:00Z',
  };
}

/** Alerter settings of the fault tests: one notification per alert, no self-monitoring alerts. */
export const alerterSection = {
  consumer: { ack_wait: '3s', batch: 100 },
  outbox_lease: '3s',
  tick_interval: '250ms',
  defaults: { group_by: ['...'], group_wait: 0, group_interval: 0, priority_wait: 0 },
  // … and no incident either (the shipped `ibc-relayer` one groups a path's clients across rules).
  incidents: [{ id: 'ibc-relayer', enabled: false }],
  // Killing services is what these tests do: their silence is not what is counted.
  rules: [{ id: 'service-silent', enabled: false }],
};

export async function createSchema(databaseUrl: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await c.end();
}

/**
 * The alerter and notifier-webhook as processes on a NATS of the test's own, a counting webhook receiver, and the
 * test as the ingestor (it publishes client_status facts, retrying each until JetStream acknowledges it, as an
 * at-least-once publisher does). Counts: events stored, notifications stored, deliveries received.
 */
export async function startPipeline(o: {
  name: string;
  natsUrl: string;
  databaseUrl: string;
  replicas?: number;
  /** Extra `webhook:` target settings (e.g. a short timeout). */
  webhookTarget?: Record<string, unknown>;
  /** Extra config sections (e.g. discord, slack) for services the test starts itself. */
  extra?: Record<string, unknown>;
  /** The folder for config and secret files, when the test wrote secrets for `extra` into it. */
  work?: ReturnType<typeof workDir>;
}) {
  const id = `${o.name}_${randomBytes(3).toString('hex')}`;
  const prefix = `f_${id}`;
  const schema = `f_${id}`;
  await createSchema(o.databaseUrl, schema);
  const subj = subjects(prefix);
  const work = o.work ?? workDir(o.name);
  const receiver = await startReceiver();
  const common = commonConfig({
    natsUrl: o.natsUrl,
    databaseUrl: o.databaseUrl,
    prefix,
    schema,
    replicas: o.replicas,
  });
  const { alerter: alerterExtra, database: databaseExtra, ...sections } = o.extra ?? {};
  const config = work.config('tocsin.yaml', {
    ...common,
    // `database.url_file` in extra replaces the URL.
    database: databaseExtra
      ? { ...common.database, url: undefined, ...(databaseExtra as object) }
      : common.database,
    alerter: { ...alerterSection, ...(alerterExtra as object | undefined) },
    webhook: {
      targets: [{ name: 'ops', url: receiver.url, timeout: 2000, ...o.webhookTarget }],
    },
    ...sections,
  });
  const alerter = spawnService('alerter', config);
  await alerter.started();
  const webhook = spawnService('notifier-webhook', config);
  await webhook.started();
  const nc: NatsConnection = await connect({
    servers: o.natsUrl.split(','),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  const publisher = createPublisher({ nc, subjects: subj, instance: 'fault-test' });

  /** Publishes one fact, again and again until JetStream stores (or deduplicates) it. */
  async function publishFact(client: number, ratio: number, round: string): Promise<void> {
    const observed = new Date();
    // Retried while the cluster or the server comes back, for at most PUBLISH_RETRY_MS: a publish that never gets
    // through fails the test saying which fact and why, before the test's own timeout (which says neither).
    const deadline = Date.now() + PUBLISH_RETRY_MS;
    for (;;) {
      try {
        await publisher.publish(cosmosIbc.clientStatus, {
          chain_id: 'faults-1',
          dedup_key: `c${client}:${round}`,
          data: clientStatus(`07-tendermint-${client}`, ratio),
          observed_at: observed,
        });
        return;
      } catch (err) {
        if (Date.now() >= deadline)
          throw new Error(
            `fact c${client}:${round} not published within ${PUBLISH_RETRY_MS / 1000} s: ${String(err)}`,
          );
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async function jsm() {
    return jetstreamManager(nc, { timeout: 10_000 });
  }

  return {
    prefix,
    schema,
    subjects: subj,
    work,
    config,
    receiver,
    alerter,
    webhook,
    nc,
    services: [alerter, webhook] as ServiceProcess[],
    /** Facts for clients [from, to): crossed (ratio 0.9, fires) or fine (0.1, resolves), `concurrency` at a time. */
    async publishFacts(from: number, to: number, crossed: boolean, round: string, concurrency = 20) {
      let next = from;
      const worker = async () => {
        while (next < to) await publishFact(next++, crossed ? 0.9 : 0.1, round);
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
    },
    /** Messages stored under client_status in the events stream. */
    async eventsStored(): Promise<number> {
      const info = await (await jsm()).streams.info(subj.streams.events, {
        subjects_filter: subj.event('cosmos-ibc', 'client_status'),
      });
      return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
    },
    /** Every notification stored in the alerts stream, in order, about alerts of the rule. */
    async notificationsStored(): Promise<Notification[]> {
      const m = await jsm();
      const total = (await m.streams.info(subj.streams.alerts)).state.messages;
      const name = `count_${randomBytes(3).toString('hex')}`;
      // Right after a cluster node is killed, the JetStream API may time out while the cluster elects new leaders
      // for its assets: the request is asked again (a bounded number of times), the same consumer name each time.
      for (let attempt = 1; ; attempt++) {
        try {
          await m.consumers.add(subj.streams.alerts, {
            name,
            ack_policy: AckPolicy.None,
            deliver_policy: DeliverPolicy.All,
            // One replica in memory: it can be placed while a node of a cluster is down.
            num_replicas: 1,
            mem_storage: true,
          });
          break;
        } catch (err) {
          if (attempt >= 6 || !/timeout/i.test(String(err))) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      const out: Notification[] = [];
      if (total > 0) {
        const iter = await (await jetstream(nc).consumers.get(subj.streams.alerts, name)).consume();
        let n = 0;
        for await (const msg of iter) {
          const v = msg.json<Notification>();
          if (v.alerts.some((a) => a.rule_id === RULE)) out.push(v);
          if (++n >= total) break;
        }
      }
      await m.consumers.delete(subj.streams.alerts, name);
      return out;
    },
    /** Whether the alerter and the notifier have handled everything (nothing pending, nothing awaiting ack). */
    async drained(): Promise<boolean> {
      const m = await jsm();
      const a = await m.consumers.info(subj.streams.events, 'alerter');
      const w = await m.consumers.info(subj.streams.alerts, 'notifier-webhook');
      return a.num_pending + a.num_ack_pending + w.num_pending + w.num_ack_pending === 0;
    },
    async close() {
      await Promise.all([alerter.stop(), webhook.stop()]);
      await nc.close().catch(() => undefined);
      await receiver.close();
      const c = new pg.Client({ connectionString: o.databaseUrl });
      await c.connect().catch(() => undefined);
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

const ofChain = (n: Notification, chainId: string) => n.alerts.some((a) => a.chain_id === chainId);

/** The keys of the rule's notifications about the chain that reached the receiver, one per POST (no NATS call). */
function deliveredKeys(p: Pipeline, chainId: string): string[] {
  return p.receiver
    .ofRule(RULE)
    .filter((d) => ofChain(d.notification, chainId))
    .map((d) => d.notification.key);
}

/**
 * The counts every fault test asserts: each client's facts stored once per round, one firing notification per
 * client (and one resolve per recovered client), each delivered exactly once at the receiver.
 */
export async function counts(p: Pipeline, chainId = 'faults-1') {
  const stored = (await p.notificationsStored()).filter((n) => ofChain(n, chainId));
  const keys = stored.map((n) => n.key);
  const delivered = deliveredKeys(p, chainId);
  const perKey = new Map<string, number>();
  for (const k of delivered) perKey.set(k, (perKey.get(k) ?? 0) + 1);
  return {
    events: await p.eventsStored(),
    notifications: stored.length,
    duplicateNotifications: keys.length - new Set(keys).size,
    firing: stored.filter((n) => n.transition === 'firing').length,
    resolved: stored.filter((n) => n.transition === 'resolved').length,
    deliveries: delivered.length,
    duplicateDeliveries: [...perKey.values()].filter((n) => n > 1).length,
    undelivered: keys.filter((k) => !perKey.has(k)).length,
  };
}

/**
 * Waits until at least `deliveries` notifications of the rule were delivered and both consumers are drained; on
 * timeout, fails with the counts so far and the last warnings and errors each service logged.
 */
export async function settled(
  p: Pipeline,
  deliveries: number,
  what: string,
  timeoutMs = 180_000,
  chainId = 'faults-1',
) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      // The receiver's count, then the two consumers' info: the wait creates no JetStream asset of its own (a
      // cluster that lost a node may not place one for minutes while it re-elects leaders); counts() does.
      if (deliveredKeys(p, chainId).length >= deliveries && (await p.drained())) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const c = await counts(p, chainId).catch((err: unknown) => String(err));
  const logs = p.services
    .map((s) => {
      const lines = s
        .output()
        .split('\n')
        .filter((l) => /"level":(40|50|60)/.test(l) || (l.trim() && !l.startsWith('{')));
      return `--- ${s.name} (exit ${s.child.exitCode ?? s.child.signalCode ?? 'running'}):\n${lines.slice(-15).join('\n')}`;
    })
    .join('\n');
  throw new Error(
    `timed out waiting for ${what}: counts ${JSON.stringify(c)}${last ? ` (${String(last)})` : ''}\n${logs}`,
  );
}
