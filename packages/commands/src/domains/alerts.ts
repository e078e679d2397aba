import { isRpcError } from '@tocsin/bus';
import { type Alert, formatMatchers, isUlid, type Matcher } from '@tocsin/events';
import { parseDuration } from '@tocsin/runtime';
import { type Command, tokenize, usageReply } from '../registry.ts';
import { choices, formatTime, pagedReply } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';

const ICON: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const STATES = ['firing', 'pending', 'resolved'] as const;
const MAX_SILENCE_S = 366 * 86_400;

/**
 * Who did something (`slack:U123`, `discord:42`), as plain text. Never a mention: a listing is read again and again,
 * and a reply must not ping anyone (only the notifiers' configured and subscribed mentions are live).
 */
export function ownerText(owner: string): string {
  return `\`${owner.replace(/`/g, "'")}\``;
}

function alertField(a: Alert) {
  const parts = [a.chain_id, a.severity, `since ${formatTime(a.started_at)}`, `id \`${a.episode_id}\``];
  if (a.acknowledged) parts.push(`acked by ${ownerText(a.acknowledged.by)}`);
  if (a.silenced_by.length) parts.push('silenced');
  const icon = a.state === 'resolved' ? '✅' : (ICON[a.severity] ?? '•');
  return { name: `${icon} ${a.summary}`.slice(0, 256), value: parts.join(' · ') };
}

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'Open alerts (or pending/resolved ones, or one chain’s)',
  description:
    'Lists alerts, newest first, with the id that `$ack` takes. Give a state (firing, pending, resolved) or a ' +
    'chain id to narrow it down; the default is the firing alerts of every chain.',
  args: [
    {
      name: 'filter',
      description: 'firing (default), pending, resolved, or a chain id',
      type: 'string',
      required: false,
      autocomplete: true,
    },
  ],
  examples: ['alerts', 'alerts resolved', 'alerts cosmoshub-4'],
  async run(ctx) {
    const filter = (ctx.args.filter as string | undefined)?.trim();
    const state =
      filter && (STATES as readonly string[]).includes(filter.toLowerCase())
        ? filter.toLowerCase()
        : undefined;
    const chainId = filter && !state ? filter : undefined;
    try {
      const { alerts } = await call(ctx, 'alerter', 'alerts', {
        state: (state ?? 'firing') as (typeof STATES)[number],
        chain_id: chainId,
        limit: 200,
      });
      const what = `${state ?? 'firing'} alerts${chainId ? ` on ${chainId}` : ''}`;
      if (!alerts.length) return { title: 'Alerts', text: `No ${what}.`, kind: 'ok' };
      const critical = alerts.filter((a) => a.severity === 'critical').length;
      return pagedReply({
        title: 'Alerts',
        intro: `${alerts.length} ${what}${critical ? ` (${critical} critical)` : ''}. Acknowledge with \`$ack <id>\`.`,
        fields: alerts.map(alertField),
        perPage: 10,
      });
    } catch (err) {
      return failureReply('alerter', err);
    }
  },
  async complete(_ctx, arg, partial) {
    if (arg !== 'filter') return [];
    return choices(
      STATES.map((s) => ({ name: s, value: s })),
      partial,
    );
  },
};

export const ackCommand: Command = {
  name: 'ack',
  summary: 'Acknowledge an alert (stops its escalation)',
  description:
    'Acknowledges an alert by the id `$alerts` shows (or its fingerprint). Escalation stops and the alert ' +
    'message shows who acknowledged it. An optional note is kept with the acknowledgement.',
  args: [
    {
      name: 'id',
      description: 'the alert id from `$alerts`',
      type: 'string',
      required: true,
      autocomplete: true,
    },
    {
      name: 'note',
      description: 'why, or what you are doing about it',
      type: 'string',
      required: false,
      rest: true,
    },
  ],
  examples: ['ack 01JD4Y7ZKQ3M8V2N5P6R7S8T9V', 'ack 01JD4Y7ZKQ3M8V2N5P6R7S8T9V relayer restarted'],
  async run(ctx) {
    const id = String(ctx.args.id).trim();
    const note = ctx.args.note as string | undefined;
    const target = isUlid(id) ? { episode_id: id.toUpperCase() } : { fingerprint: id };
    try {
      const { alert } = await call(ctx, 'alerter', 'ack', {
        by: ctx.caller.owner,
        is_admin: ctx.caller.isAdmin,
        ...target,
        ...(note ? { note: note.slice(0, 500) } : {}),
      });
      return {
        title: 'Acknowledged',
        text: `${ICON[alert.severity] ?? '•'} ${alert.summary} (${alert.chain_id})\nEscalation stops; the alert shows you acknowledged it.`,
        kind: 'ok',
      };
    } catch (err) {
      if (isRpcError(err, 'not_found')) {
        return {
          title: 'No such alert',
          text: `No open alert has the id \`${id}\`. \`$alerts\` lists them with their ids.`,
          kind: 'error',
          ephemeral: true,
        };
      }
      return failureReply('alerter', err);
    }
  },
  async complete(ctx, arg, partial) {
    if (arg !== 'id') return [];
    const { alerts } = await call(ctx, 'alerter', 'alerts', { state: 'firing', limit: 100 });
    return choices(
      alerts.map((a) => ({ name: `${a.summary} (${a.chain_id})`, value: a.episode_id })),
      partial,
    );
  },
};

const MATCHER = /^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$/;

/** `chain_id=cosmoshub-4`, `severity=~warn.*`, `client_id!="07-tendermint-0"` → a matcher, or why not. */
export function parseMatcher(word: string): { ok: true; matcher: Matcher } | { ok: false; problem: string } {
  const m = MATCHER.exec(word);
  if (!m) {
    return {
      ok: false,
      problem: `\`${word}\` is not a matcher (label=value, label!=value, label=~regex or label!~regex)`,
    };
  }
  const [, name, op, rawValue] = m as unknown as [string, string, Matcher['op'], string];
  const value = /^"(.*)"$/.test(rawValue) ? rawValue.slice(1, -1) : rawValue;
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(value);
    } catch (err) {
      return { ok: false, problem: `\`${word}\`: bad regular expression (${(err as Error).message})` };
    }
  }
  return { ok: true, matcher: { name, op, value } };
}

export const silenceCommand: Command = {
  name: 'silence',
  summary: 'Silence alerts matching labels for a while',
  description:
    'Mutes the notifications of every alert whose labels match all the matchers, for the given duration ' +
    '(the duration may come first or last). Labels include chain_id, severity, source and rule.',
  args: [
    { name: 'duration', description: 'how long, e.g. 30m, 2h, 1d', type: 'string', required: true },
    {
      name: 'matchers',
      description: 'label=value, label!=value, label=~regex, label!~regex …',
      type: 'string',
      required: true,
      rest: true,
    },
  ],
  examples: ['silence 2h chain_id=cosmoshub-4', 'silence chain_id=cosmoshub-4 severity=~warn.* 1d'],
  async run(ctx) {
    const words = [String(ctx.args.duration), ...tokenize(String(ctx.args.matchers))];
    const matchers: Matcher[] = [];
    const durations: number[] = [];
    for (const w of words) {
      if (/[=~]/.test(w)) {
        const p = parseMatcher(w);
        if (!p.ok) return usageReply(this, `${p.problem}.`);
        matchers.push(p.matcher);
        continue;
      }
      try {
        durations.push(parseDuration(w));
      } catch {
        return usageReply(this, `\`${w}\` is neither a duration (30m, 2h, 1d) nor a matcher (label=value).`);
      }
    }
    if (durations.length !== 1) {
      return usageReply(this, durations.length ? 'Give one duration, not several.' : 'Missing the duration.');
    }
    if (!matchers.length) return usageReply(this, 'Give at least one matcher, e.g. `chain_id=cosmoshub-4`.');
    const durationS = durations[0]! / 1000;
    if (durationS <= 0 || durationS > MAX_SILENCE_S) {
      return usageReply(this, 'The duration must be more than 0 and at most 366 days.');
    }
    try {
      const { silence } = await call(ctx, 'alerter', 'silence', {
        by: ctx.caller.owner,
        is_admin: ctx.caller.isAdmin,
        matchers,
        duration_s: durationS,
        reason: `from ${ctx.caller.platform} by ${ctx.caller.displayName ?? ctx.caller.owner}`,
      });
      return {
        title: 'Silenced',
        text: `🔕 Alerts matching \`${formatMatchers(silence.matchers)}\` are silenced until ${formatTime(silence.ends_at)}.`,
        fields: [{ name: 'Silence id', value: `\`${silence.id}\` (\`$unsilence ${silence.id}\` ends it)` }],
        kind: 'ok',
      };
    } catch (err) {
      if (isRpcError(err, 'bad_request')) return usageReply(this, `The alerter refused it: ${err.message}.`);
      return failureReply('alerter', err);
    }
  },
};

export const silencesCommand: Command = {
  name: 'silences',
  summary: 'Active silences',
  args: [],
  async run(ctx) {
    try {
      const { silences } = await call(ctx, 'alerter', 'silences', { active: true });
      if (!silences.length) return { title: 'Silences', text: 'No active silences.', kind: 'ok' };
      return pagedReply({
        title: 'Silences',
        intro: `${silences.length} active. \`$unsilence <id>\` ends one.`,
        fields: silences.map((s) => ({
          name: formatMatchers(s.matchers).slice(0, 256),
          value: `until ${formatTime(s.ends_at)} · by ${ownerText(s.author)} · id \`${s.id}\``,
        })),
        perPage: 10,
      });
    } catch (err) {
      return failureReply('alerter', err);
    }
  },
};

export const unsilenceCommand: Command = {
  name: 'unsilence',
  summary: 'End a silence now',
  args: [
    {
      name: 'id',
      description: 'the silence id from `$silences`',
      type: 'string',
      required: true,
      autocomplete: true,
    },
  ],
  examples: ['unsilence 01JD4Y7ZKQ3M8V2N5P6R7S8T9V'],
  async run(ctx) {
    const id = String(ctx.args.id).trim();
    try {
      const { silence } = await call(ctx, 'alerter', 'expire_silence', {
        by: ctx.caller.owner,
        is_admin: ctx.caller.isAdmin,
        id,
      });
      return {
        title: 'Silence ended',
        text: `\`${formatMatchers(silence.matchers)}\` is no longer silenced.`,
        kind: 'ok',
      };
    } catch (err) {
      if (isRpcError(err, 'not_found')) {
        return {
          title: 'No such silence',
          text: `No silence has the id \`${id}\`.`,
          kind: 'error',
          ephemeral: true,
        };
      }
      if (isRpcError(err, 'forbidden')) {
        return {
          title: 'Not yours',
          text: 'Only the author of a silence, or an admin, can end it.',
          kind: 'error',
          ephemeral: true,
        };
      }
      return failureReply('alerter', err);
    }
  },
  async complete(ctx, arg, partial) {
    if (arg !== 'id') return [];
    const { silences } = await call(ctx, 'alerter', 'silences', { active: true });
    return choices(
      silences.map((s) => ({ name: formatMatchers(s.matchers), value: s.id })),
      partial,
    );
  },
};

/** The alerts domain: `$alerts`, `$ack`, `$silence`, `$silences`, `$unsilence`; `$maintenance` is in maintenance.ts. */
export function alertCommands(): Command[] {
  return [alertsCommand, ackCommand, silenceCommand, silencesCommand, unsilenceCommand];
}
