import { parseMatcher } from '@tocsin/commands';
import { type Alert, formatMatchers, isUlid, type Matcher } from '@tocsin/events';
import { parseDuration } from '@tocsin/runtime';
import { actingUser, alerterCall, CliError, type OpsOptions, runOps } from './session.ts';
import { ago, table } from './table.ts';

export interface AlertsQuery {
  state?: 'pending' | 'firing' | 'resolved';
  source?: string;
  chain?: string;
  limit?: number;
  json?: boolean;
}

function alertRows(alerts: Alert[]): string[] {
  return table(
    ['ID', 'STATE', 'SEVERITY', 'SOURCE', 'CHAIN', 'SINCE', 'ACK', 'SUMMARY'],
    alerts.map((a) => [
      a.episode_id,
      a.silenced_by.length ? `${a.state}/silenced` : a.state,
      a.severity,
      a.source,
      a.chain_id,
      ago(a.started_at),
      a.acknowledged ? a.acknowledged.by : '-',
      a.summary,
    ]),
  );
}

/** `tocsin alerts`: the alerter's alerts (firing by default), newest first. */
export function alertsCmd(q: AlertsQuery, o: OpsOptions): Promise<number> {
  return runOps('alerts', o, async (s, print) => {
    const { alerts } = await alerterCall(s, 'alerts', {
      state: q.state ?? 'firing',
      ...(q.source ? { source: q.source } : {}),
      ...(q.chain ? { chain_id: q.chain } : {}),
      limit: q.limit ?? 100,
    });
    if (q.json) for (const a of alerts) print(JSON.stringify(a));
    else if (!alerts.length) print(`no ${q.state ?? 'firing'} alerts`);
    else for (const l of alertRows(alerts)) print(l);
    return 0;
  });
}

/** `tocsin ack <id|fingerprint>`: an episode id (ULID, as `alerts` shows) or an alert's fingerprint. */
export function ackCmd(
  id: string,
  a: { note?: string; by?: string; json?: boolean },
  o: OpsOptions,
): Promise<number> {
  return runOps('ack', o, async (s, print) => {
    const target = isUlid(id) ? { episode_id: id.toUpperCase() } : { fingerprint: id };
    const { alert } = await alerterCall(s, 'ack', {
      by: actingUser(a.by, o.env),
      is_admin: true,
      ...target,
      ...(a.note ? { note: a.note } : {}),
    });
    print(
      a.json
        ? JSON.stringify(alert)
        : `acknowledged ${alert.episode_id} (${alert.severity}) ${alert.summary}`,
    );
    return 0;
  });
}

/** Matchers from words (`chain_id=cosmoshub-4 severity=~warn.*`), each bad one named. */
export function parseMatchers(words: string[]): Matcher[] {
  const out: Matcher[] = [];
  const problems: string[] = [];
  for (const w of words) {
    const p = parseMatcher(w);
    if (p.ok) out.push(p.matcher);
    else problems.push(p.problem.replace(/`/g, '"'));
  }
  if (problems.length) throw new CliError(problems.join('; '));
  if (!out.length) throw new CliError('give at least one matcher (label=value, e.g. chain_id=cosmoshub-4)');
  return out;
}

/** `tocsin silence <matchers…> --for 2h --reason …`. */
export function silenceCmd(
  words: string[],
  a: { for: string; reason?: string; by?: string; json?: boolean },
  o: OpsOptions,
): Promise<number> {
  return runOps('silence', o, async (s, print) => {
    const matchers = parseMatchers(words);
    let ms: number;
    try {
      ms = parseDuration(a.for);
    } catch (err) {
      throw new CliError(`--for: ${(err as Error).message}`);
    }
    const { silence } = await alerterCall(s, 'silence', {
      by: actingUser(a.by, o.env),
      is_admin: true,
      matchers,
      duration_s: ms / 1000,
      reason: a.reason ?? '',
    });
    print(
      a.json
        ? JSON.stringify(silence)
        : `silenced ${formatMatchers(silence.matchers)} until ${silence.ends_at} (id ${silence.id})`,
    );
    return 0;
  });
}

/** `tocsin silences [--all]`: active silences, or every one kept. */
export function silencesCmd(a: { all?: boolean; json?: boolean }, o: OpsOptions): Promise<number> {
  return runOps('silences', o, async (s, print) => {
    const { silences } = await alerterCall(s, 'silences', { active: !a.all });
    if (a.json) for (const x of silences) print(JSON.stringify(x));
    else if (!silences.length) print(a.all ? 'no silences' : 'no active silences');
    else
      for (const l of table(
        ['ID', 'MATCHERS', 'ENDS', 'BY', 'REASON'],
        silences.map((x) => [x.id, formatMatchers(x.matchers), ago(x.ends_at), x.author, x.reason || '-']),
      ))
        print(l);
    return 0;
  });
}

/** `tocsin expire <silence id>`: ends a silence now. */
export function expireCmd(id: string, a: { by?: string; json?: boolean }, o: OpsOptions): Promise<number> {
  return runOps('expire', o, async (s, print) => {
    const { silence } = await alerterCall(s, 'expire_silence', {
      by: actingUser(a.by, o.env),
      is_admin: true,
      id,
    });
    print(a.json ? JSON.stringify(silence) : `expired ${silence.id} (${formatMatchers(silence.matchers)})`);
    return 0;
  });
}
