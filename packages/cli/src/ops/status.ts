import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { callRpc } from '@tocsin/bus';
import { subjects as subjectsOf } from '@tocsin/events';
import { isConfigError, readSecretFile, redactUrl } from '@tocsin/runtime';
import pg from 'pg';
import { enabledServices } from '../catalog.ts';
import { loadCommonConfig, type OpsOptions } from './session.ts';
import { ago } from './table.ts';

type Level = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  level: Level;
  detail: string;
}

export interface ConsumerLag {
  stream: string;
  consumer: string;
  pending: number;
  ack_pending: number;
  redelivered: number;
  /** Pull requests waiting: more than 0 while a process of it is connected and pulling. */
  waiting: number;
  last_active: string | null;
}

export interface LastEvent {
  subject: string;
  source: string;
  type: string;
  messages: number;
  last_at: string | null;
}

export interface StatusReport {
  ok: boolean;
  checks: Check[];
  consumers: ConsumerLag[];
  last_events: LastEvent[];
}

/** How each service shows it is alive over NATS: a read-only RPC method that answers fast. */
const RPC_PING: Record<string, [string, unknown]> = {
  alerter: ['silences', { active: true }],
  'cosmos-ibc': ['chains', {}],
  'ics-ccv': ['consumers', {}],
  'subspace-blocks': ['status', {}],
  'harmony-signers': ['token_list', {}],
};

const iso = (nanosOrDate: string | Date | undefined | null): string | null =>
  nanosOrDate ? new Date(nanosOrDate).toISOString() : null;

async function healthz(port: number, timeoutMs: number): Promise<string | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (r.ok) return null;
    const body = (await r.json().catch(() => ({}))) as { waiting_for?: unknown };
    return `not ready on :${port}${body.waiting_for ? ` (waiting for ${JSON.stringify(body.waiting_for)})` : ` (${r.status})`}`;
  } catch (err) {
    return `no answer on http://127.0.0.1:${port}/readyz (${(err as Error).message})`;
  }
}

async function postgres(url: string, schema: string, timeoutMs: number): Promise<Check> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => undefined);
  try {
    await c.connect();
    const r = await c.query(
      'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const n = r.rows[0].n as number;
    return {
      name: 'postgresql',
      level: n ? 'ok' : 'warn',
      detail: `${redactUrl(url)} schema ${schema}: ${n ? `${n} tables` : 'no tables yet (no service has started on it)'}`,
    };
  } catch (err) {
    return { name: 'postgresql', level: 'fail', detail: `${redactUrl(url)}: ${(err as Error).message}` };
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function streams(
  jsm: JetStreamManager,
  names: Record<string, string>,
  out: StatusReport,
): Promise<void> {
  for (const [what, name] of Object.entries(names)) {
    try {
      const info = await jsm.streams.info(name);
      out.checks.push({
        name: `stream ${what}`,
        level: 'ok',
        detail: `${name}: ${info.state.messages} messages${info.state.messages ? `, last ${ago(iso(info.state.last_ts))}` : ''}`,
      });
      for (const c of await jsm.consumers.list(name).next())
        out.consumers.push({
          stream: name,
          consumer: c.name,
          pending: c.num_pending,
          ack_pending: c.num_ack_pending,
          redelivered: c.num_redelivered,
          waiting: c.num_waiting,
          last_active: c.delivered.last_active ? iso(c.delivered.last_active as unknown as string) : null,
        });
    } catch (err) {
      out.checks.push({
        name: `stream ${what}`,
        level: 'fail',
        detail: `${name} is missing (${(err as Error).message}): start the alerter or an ingestor once to create it`,
      });
    }
  }
}

async function lastEvents(jsm: JetStreamManager, stream: string, prefix: string): Promise<LastEvent[]> {
  const info = await jsm.streams.info(stream, { subjects_filter: `${prefix}.events.>` }).catch(() => null);
  const out: LastEvent[] = [];
  for (const [subject, messages] of Object.entries(info?.state.subjects ?? {})) {
    const m = await jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
    const [, , source = '?', type = '?'] = subject.split('.');
    out.push({ subject, source, type, messages, last_at: m ? m.time.toISOString() : null });
  }
  return out.sort((a, b) => a.subject.localeCompare(b.subject));
}

/** Everything `tocsin status` finds; `ok` is false when something is broken. */
export async function collectStatus(o: OpsOptions): Promise<StatusReport> {
  const timeout = o.timeoutMs ?? 3000;
  const out: StatusReport = { ok: false, checks: [], consumers: [], last_events: [] };
  let config: ReturnType<typeof loadCommonConfig>;
  try {
    config = loadCommonConfig(o);
    out.checks.push({
      name: 'config',
      level: 'ok',
      detail: config.file ? `${config.file} is valid` : 'no file (defaults and environment variables)',
    });
  } catch (err) {
    out.checks.push({
      name: 'config',
      level: 'fail',
      detail: isConfigError(err) ? err.message : `cannot load: ${(err as Error).message}`,
    });
    return out;
  }
  const subj = subjectsOf(config.subject_prefix);
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({
      servers: config.nats.url.split(',').map((s) => s.trim()),
      name: 'tocsin-status',
      timeout,
      ...(config.nats.token_file ? { token: readSecretFile(config.nats.token_file) } : {}),
    });
    out.checks.push({
      name: 'nats',
      level: 'ok',
      detail: `${redactUrl(config.nats.url)} (server ${nc.info?.version ?? '?'}, prefix ${config.subject_prefix})`,
    });
  } catch (err) {
    out.checks.push({
      name: 'nats',
      level: 'fail',
      detail: `cannot reach ${redactUrl(config.nats.url)}: ${(err as Error).message}`,
    });
  }
  const dbUrl = config.database.url_file ? readSecretFile(config.database.url_file) : config.database.url;
  const db = dbUrl
    ? postgres(dbUrl, config.database.schema, timeout)
    : Promise.resolve<Check>({
        name: 'postgresql',
        level: 'fail',
        detail: 'not configured: set database.url (or database.url_file) or DATABASE_URL',
      });
  if (nc) {
    try {
      const jsm = await jetstreamManager(nc, { timeout });
      await streams(jsm, subj.streams, out);
      out.last_events = await lastEvents(jsm, subj.streams.events, subj.prefix);
    } catch (err) {
      out.checks.push({
        name: 'jetstream',
        level: 'fail',
        detail: `not available: ${(err as Error).message}`,
      });
    }
  }
  out.checks.push(await db);
  for (const svc of enabledServices(config.raw)) {
    const ping = RPC_PING[svc.name];
    let problem: string | null;
    if (ping) {
      // Asked over NATS only: another stack on this machine may answer on the catalog's ports.
      problem = nc
        ? await callRpc(nc, subj.rpc(svc.name, ping[0]), ping[1], timeout).then(
            () => null,
            (err: Error) => err.message,
          )
        : 'cannot ask it: NATS is unreachable';
      out.checks.push({
        name: svc.name,
        level: problem ? 'fail' : 'ok',
        detail: problem ?? `answers on ${subj.rpc(svc.name, ping[0])}`,
      });
      continue;
    }
    // No RPC (the notifiers): a replica pulling on its durable consumer, wherever it runs; else its /readyz here.
    const pulling = out.consumers.find((c) => c.consumer === svc.name && c.waiting > 0);
    problem = pulling ? null : await healthz(svc.port, timeout);
    out.checks.push({
      name: svc.name,
      level: problem ? (svc.offPath ? 'warn' : 'fail') : 'ok',
      detail: pulling
        ? `pulling from ${pulling.stream} (consumer ${pulling.consumer})`
        : (problem ?? `ready on :${svc.port}`),
    });
  }
  await nc?.close().catch(() => undefined);
  out.ok = out.checks.every((c) => c.level !== 'fail');
  return out;
}

const MARK: Record<Level, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** The report as lines for people. */
export function statusLines(r: StatusReport): string[] {
  const width = Math.max(...r.checks.map((c) => c.name.length));
  const lines = r.checks.map((c) => `${MARK[c.level]}  ${c.name.padEnd(width)}  ${c.detail}`);
  if (r.consumers.length) {
    lines.push('', 'consumers (lag = messages not yet delivered):');
    for (const c of r.consumers)
      lines.push(
        `  ${c.stream}/${c.consumer}: lag ${c.pending}, unacked ${c.ack_pending}, redelivered ${c.redelivered}, last active ${ago(c.last_active)}`,
      );
  }
  if (r.last_events.length) {
    lines.push('', 'last event per source:');
    const bySource = new Map<string, LastEvent>();
    for (const e of r.last_events) {
      const prev = bySource.get(e.source);
      if (!prev || (e.last_at ?? '') > (prev.last_at ?? '')) bySource.set(e.source, e);
    }
    for (const [source, e] of bySource) lines.push(`  ${source}: ${ago(e.last_at)} (${e.type})`);
  }
  const warned = r.checks.some((c) => c.level === 'warn');
  lines.push(
    '',
    !r.ok
      ? 'something is broken (FAIL lines above)'
      : warned
        ? 'everything on the path of alerts answers (warn lines above)'
        : 'everything answers',
  );
  return lines;
}

/** `tocsin status [--json]`: exit 0 when nothing failed, 1 otherwise. */
export async function statusCmd(a: { json?: boolean }, o: OpsOptions): Promise<number> {
  const print = o.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  const r = await collectStatus(o);
  if (a.json) print(JSON.stringify(r, null, 2));
  else for (const l of statusLines(r)) print(l);
  return r.ok ? 0 : 1;
}
