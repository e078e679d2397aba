import type { Msg } from '@nats-io/transport-node';
import { decodeNotification } from '@tocsin/bus';
import { type EventEnvelope, type Notification, SEVERITIES } from '@tocsin/events';
import { CliError, type OpsOptions, runOps } from './session.ts';

/** One clause of a tail filter: `source=cosmos-ibc`, `chain!=osmosis-1`, `severity>=warning`, `kind=alert`. */
interface Clause {
  key: 'source' | 'type' | 'chain' | 'severity' | 'kind';
  op: '=' | '!=' | '>=';
  values: string[];
}

const KEYS = ['source', 'type', 'chain', 'severity', 'kind'] as const;
const CLAUSE = /^([a-z_]+)(>=|!=|=)(.+)$/;

/**
 * The tail filter: words `key=value` (several values: `key=a,b`), `key!=value`, `severity>=level`; all must hold.
 * Keys: source, type (an alert's: its transition), chain (chain_id), severity (alerts only: events carry no
 * severity), kind (event | alert).
 */
export function parseTailFilter(words: string[]): Clause[] {
  const out: Clause[] = [];
  const problems: string[] = [];
  for (const w of words) {
    const m = CLAUSE.exec(w);
    const key = (m?.[1] === 'chain_id' ? 'chain' : m?.[1]) as Clause['key'] | undefined;
    if (!m || !key || !(KEYS as readonly string[]).includes(key)) {
      problems.push(
        `"${w}": expected key=value, key!=value or severity>=level with key one of ${KEYS.join(', ')}`,
      );
      continue;
    }
    const op = m[2] as Clause['op'];
    const values = m[3]!.split(',');
    if (op === '>=' && key !== 'severity') problems.push(`"${w}": >= only applies to severity`);
    if (key === 'severity')
      for (const v of values)
        if (!(SEVERITIES as readonly string[]).includes(v))
          problems.push(`"${w}": severity is one of ${SEVERITIES.join(', ')}`);
    if (key === 'kind')
      for (const v of values)
        if (v !== 'event' && v !== 'alert') problems.push(`"${w}": kind is event or alert`);
    out.push({ key, op, values });
  }
  if (problems.length) throw new CliError(problems.join('; '));
  return out;
}

interface Item {
  kind: 'event' | 'alert';
  source: string;
  type: string;
  chain: string[];
  severity: string | null;
}

export function matches(clauses: Clause[], it: Item): boolean {
  return clauses.every((c) => {
    if (c.op === '>=') {
      if (it.severity === null) return false;
      const rank = (s: string) => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
      return rank(it.severity) >= rank(c.values[0]!);
    }
    const have =
      c.key === 'chain'
        ? it.chain
        : c.key === 'severity'
          ? it.severity === null
            ? []
            : [it.severity]
          : [it[c.key]];
    const hit = have.some((h) => c.values.includes(h));
    if (c.key === 'severity' && it.severity === null) return false;
    return c.op === '=' ? hit : !hit;
  });
}

const time = (iso: string) => iso.slice(11, 19);

function scalars(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === null || typeof v === 'object') continue;
    parts.push(`${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
  }
  const text = parts.join(' ');
  return text.length > 140 ? `${text.slice(0, 139)}…` : text;
}

export function eventLine(e: EventEnvelope): string {
  return `${time(e.observed_at)}  event  ${`${e.source}.${e.type}`.padEnd(34)} ${e.chain_id.padEnd(14)} ${scalars(e.data)}`;
}

export function notificationLine(n: Notification): string[] {
  return n.alerts.map(
    (a) =>
      `${time(n.created_at)}  ALERT  ${`${n.transition.toUpperCase()} ${a.severity}`.padEnd(34)} ${a.chain_id.padEnd(14)} ${a.summary} [${a.rule_id} ${a.episode_id}]`,
  );
}

export interface TailOptions {
  json?: boolean;
  /** Stop after this many printed messages (scripts, tests). */
  count?: number;
  signal?: AbortSignal;
  /** Called once the subscriptions are in place (tests publish after it). */
  onReady?: () => void;
}

/** `tocsin tail [filter…]`: live events and alerts from NATS (core subscriptions: no consumer is created). */
export function tailCmd(words: string[], a: TailOptions, o: OpsOptions): Promise<number> {
  return runOps('tail', o, async (s, print) => {
    const clauses = parseTailFilter(words);
    let printed = 0;
    let finish!: () => void;
    const done = new Promise<void>((r) => {
      finish = r;
    });
    const show = (lines: string[], raw: string) => {
      if (a.json) print(raw);
      else for (const l of lines) print(l);
      if (a.count !== undefined && ++printed >= a.count) finish();
    };
    const onEvent = (m: Msg) => {
      let e: EventEnvelope;
      try {
        e = m.json<EventEnvelope>();
      } catch (err) {
        return print(`(undecodable message on ${m.subject}: ${(err as Error).message})`);
      }
      if (typeof e?.source !== 'string' || typeof e.data !== 'object') return;
      const item: Item = {
        kind: 'event',
        source: e.source,
        type: e.type,
        chain: [e.chain_id],
        severity: null,
      };
      if (matches(clauses, item)) show([eventLine(e)], m.string());
    };
    const onAlert = (m: Msg) => {
      const d = decodeNotification(m.data);
      if (!d.ok) return print(`(undecodable notification on ${m.subject}: ${d.issues.join('; ')})`);
      const n = d.value;
      const item: Item = {
        kind: 'alert',
        source: n.source,
        type: n.transition,
        chain: n.alerts.map((x) => x.chain_id),
        severity: n.severity,
      };
      if (matches(clauses, item)) show(notificationLine(n), m.string());
    };
    const subs = [
      s.nc.subscribe(s.subjects.events(), {
        callback: (err, m) => {
          if (!err) onEvent(m);
        },
      }),
      s.nc.subscribe(s.subjects.alerts(), {
        callback: (err, m) => {
          if (!err) onAlert(m);
        },
      }),
    ];
    await s.nc.flush();
    a.signal?.addEventListener('abort', finish, { once: true });
    if (!a.json && !o.print)
      process.stderr.write(
        `tailing ${s.subjects.prefix}.events.> and ${s.subjects.prefix}.alerts.> (Ctrl-C stops)\n`,
      );
    a.onReady?.();
    await done;
    for (const sub of subs) sub.unsubscribe();
    return 0;
  });
}
