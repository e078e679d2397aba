import { isRpcError } from '@tocsin/bus';
import { daysText, formatMatchers, type MaintenanceWindow, type Matcher, WEEKDAYS } from '@tocsin/events';
import { parseDuration } from '@tocsin/runtime';
import { type Command, tokenize, usageReply } from '../registry.ts';
import { ownerText, parseMatcher } from './alerts.ts';
import { formatTime, pagedReply } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';

type Day = (typeof WEEKDAYS)[number];
const DAY_SETS: Record<string, readonly Day[]> = {
  daily: WEEKDAYS,
  weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  weekends: ['sat', 'sun'],
};
const TIME_RANGE = /^([01]\d|2[0-3]):([0-5]\d)[-–]([01]\d|2[0-3]):([0-5]\d)$/;
const MAX_ONE_OFF_S = 7 * 86_400;

/** The days in `tue`, `tue,thu`, `weekdays`, `daily` (plural forms too: `tuesdays`), or null. */
function parseDays(word: string): Day[] | null {
  const out: Day[] = [];
  for (const part of word.toLowerCase().split(',')) {
    const set = DAY_SETS[part];
    if (set) out.push(...set);
    else {
      const day = WEEKDAYS.find(
        (d) => part === d || (part.startsWith(d) && /^[a-z]+$/.test(part) && part.length > 3),
      );
      if (!day) return null;
      out.push(day);
    }
  }
  return [...new Set(out)];
}

/** An IANA time zone name (`Europe/Zurich`, `UTC`) that Intl knows. */
export function isTimezone(word: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(word) || !/[/]|^UTC$/.test(word)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: word });
    return true;
  } catch {
    return false;
  }
}

export type MaintenanceSpec =
  | { ok: false; problem: string }
  | {
      ok: true;
      matchers: Matcher[];
      reason: string;
      times:
        | { weekly: { days: Day[]; start: string; end: string }; timezone: string }
        | { starts_at?: string; duration_s: number };
    };

/**
 * `tue 14:00-15:00 Europe/Zurich chain_id=osmosis-1 -- node upgrades` (weekly), `2h chain_id=x -- reason` (one-off
 * from now), `2026-03-24T13:00Z 2h chain_id=x` (one-off from then): the words may come in any order.
 */
export function parseMaintenance(line: string): MaintenanceSpec {
  const [spec, ...why] = line.split(/\s--\s|\s--$/);
  const reason = why.join(' -- ').trim();
  const matchers: Matcher[] = [];
  let days: Day[] | null = null;
  let range: RegExpExecArray | null = null;
  let timezone: string | null = null;
  let start: number | null = null;
  let duration: number | null = null;
  for (const w of tokenize(spec ?? '')) {
    if (/^\d{4}-\d\d-\d\d/.test(w)) {
      const t = Date.parse(w);
      if (Number.isNaN(t))
        return { ok: false, problem: `\`${w}\` is not a date and time (2026-03-24T13:00Z)` };
      start = t;
    } else if (/[=~]/.test(w)) {
      const p = parseMatcher(w);
      if (!p.ok) return { ok: false, problem: p.problem };
      matchers.push(p.matcher);
    } else if (TIME_RANGE.test(w)) range = TIME_RANGE.exec(w);
    else if (parseDays(w)) days = parseDays(w);
    else if (isTimezone(w)) timezone = w;
    else {
      try {
        duration = parseDuration(w);
      } catch {
        return {
          ok: false,
          problem: `\`${w}\` is not a day (tue, weekdays, daily), a time range (14:00-15:00), a time zone (Europe/Zurich), a duration (2h) or a matcher (label=value)`,
        };
      }
    }
  }
  if (!matchers.length) return { ok: false, problem: 'Give at least one matcher, e.g. `chain_id=osmosis-1`' };
  if (days || range) {
    if (!days || !range)
      return { ok: false, problem: 'A weekly window needs days and a time range (tue 14:00-15:00)' };
    if (duration !== null || start !== null)
      return { ok: false, problem: 'Give either days and a time range, or a duration, not both' };
    const [, sh, sm, eh, em] = range;
    return {
      ok: true,
      matchers,
      reason,
      times: { weekly: { days, start: `${sh}:${sm}`, end: `${eh}:${em}` }, timezone: timezone ?? 'UTC' },
    };
  }
  if (duration === null)
    return { ok: false, problem: 'Missing when: a duration (2h) or days and a time range' };
  if (duration <= 0 || duration / 1000 > MAX_ONE_OFF_S)
    return { ok: false, problem: 'The duration must be more than 0 and at most 7 days' };
  // From now (the alerter's clock), or from the date given.
  const from = start === null ? {} : { starts_at: new Date(start).toISOString() };
  return { ok: true, matchers, reason, times: { ...from, duration_s: duration / 1000 } };
}

function describeTimes(m: MaintenanceWindow): string {
  const t = m.times;
  if (t.weekly) return `${daysText(t.weekly.days)} ${t.weekly.start}–${t.weekly.end} ${t.timezone}`;
  if (t.cron) return `cron \`${t.cron}\` for ${t.duration_s} s (${t.timezone})`;
  return `${formatTime(t.starts_at!)} – ${formatTime(t.ends_at!)}`;
}

function windowField(m: MaintenanceWindow) {
  const when = m.active
    ? `now, until ${formatTime(m.next!.ends_at)}`
    : m.next
      ? `next ${formatTime(m.next.starts_at)}`
      : 'over';
  return {
    name: `${m.active ? '🛠️' : '🗓️'} ${m.name}`.slice(0, 256),
    value: [
      `\`${formatMatchers(m.matchers)}\``,
      describeTimes(m),
      when,
      `by ${ownerText(m.author)}`,
      `id \`${m.id}\``,
    ].join(' · '),
  };
}

export const maintenanceCommand: Command = {
  name: 'maintenance',
  summary: 'Maintenance windows: alerts recorded, not notified; a summary when it ends',
  description:
    'Creates a maintenance window for the alerts whose labels match all the matchers: recurring (days, a time ' +
    'range and a time zone) or one-off (a duration from now, or from a date). Alerts inside it are recorded, not ' +
    'notified; when it ends one summary is posted. `$maintenance list` shows them, `$maintenance end <id>` ends one.',
  args: [
    {
      name: 'spec',
      description: 'list | end <id> | [days time-range time-zone | duration] matchers… [-- reason]',
      type: 'string',
      required: true,
      rest: true,
    },
  ],
  examples: [
    'maintenance tue 14:00-15:00 Europe/Zurich chain_id=osmosis-1 -- node upgrades',
    'maintenance 2h chain_id=cosmoshub-4 -- validator migration',
    'maintenance list',
    'maintenance end 01JD4Y7ZKQ3M8V2N5P6R7S8T9V',
  ],
  async run(ctx) {
    const line = String(ctx.args.spec).trim();
    const [first, ...rest] = tokenize(line);
    try {
      if (first === 'list') {
        const { maintenances } = await call(ctx, 'alerter', 'maintenances', { active: true });
        if (!maintenances.length)
          return { title: 'Maintenance', text: 'No maintenance windows.', kind: 'ok' };
        return pagedReply({
          title: 'Maintenance',
          intro: `${maintenances.length} window${maintenances.length === 1 ? '' : 's'}. \`$maintenance end <id>\` ends one.`,
          fields: maintenances.map(windowField),
          perPage: 10,
        });
      }
      if (first === 'end') {
        if (rest.length !== 1)
          return usageReply(this, 'Give the id of the window to end (`$maintenance list`).');
        const { maintenance } = await call(ctx, 'alerter', 'end_maintenance', {
          by: ctx.caller.owner,
          is_admin: ctx.caller.isAdmin,
          id: rest[0]!,
        });
        return {
          title: 'Maintenance ended',
          text: `\`${formatMatchers(maintenance.matchers)}\` is no longer in maintenance; the summary follows.`,
          kind: 'ok',
        };
      }
      const spec = parseMaintenance(line);
      if (!spec.ok) return usageReply(this, `${spec.problem}.`);
      const who = ctx.caller.displayName ?? ctx.caller.owner;
      const { maintenance } = await call(ctx, 'alerter', 'maintenance', {
        by: ctx.caller.owner,
        is_admin: ctx.caller.isAdmin,
        matchers: spec.matchers,
        reason: (spec.reason || `from ${ctx.caller.platform} by ${who}`).slice(0, 500),
        origin: 'chat',
        ...spec.times,
      });
      return {
        title: 'Maintenance',
        text: `🛠️ Alerts matching \`${formatMatchers(maintenance.matchers)}\` are recorded, not notified: ${describeTimes(maintenance)}.`,
        fields: [windowField(maintenance)],
        kind: 'ok',
      };
    } catch (err) {
      if (isRpcError(err, 'bad_request')) return usageReply(this, `The alerter refused it: ${err.message}.`);
      if (isRpcError(err, 'not_found'))
        return { title: 'No such window', text: err.message, kind: 'error', ephemeral: true };
      return failureReply('alerter', err);
    }
  },
};
