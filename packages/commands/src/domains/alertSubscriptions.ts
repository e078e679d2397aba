import { isRpcError } from '@tocsin/bus';
import { type AlertSubscription, CADENCES, type Cadence } from '@tocsin/events';
import { type Command, usageReply } from '../registry.ts';
import { choices } from './listing.ts';
import { isTimezone } from './maintenance.ts';
import { call, failureReply } from './rpcCall.ts';

/** `at 09:00 Europe/Zurich` (a daily subscription; those made before times of day: 00:00 UTC). */
const dailyTime = (s: Pick<AlertSubscription, 'at' | 'timezone'>) =>
  `at ${s.at ?? '00:00'} ${s.timezone ?? 'UTC'}`;

function cadenceText(s: AlertSubscription): string {
  if (s.cadence === 'immediate') return 'I will tag you on each alert of';
  if (s.cadence === 'hourly') return 'You will get one digest an hour (UTC) of the alerts of';
  return `You will get one digest a day ${dailyTime(s)} (your daily digest time, for all your daily subscriptions) of the alerts of`;
}

/**
 * The optional `[time] [timezone]` of a daily subscription: `09:00 Europe/Zurich`, `09:00` (UTC), or a zone alone
 * (its midnight). The problem names the bad part.
 */
export function parseDailyTime(
  cadence: Cadence,
  time: string | undefined,
  zone: string | undefined,
): { ok: true; at?: string; timezone?: string } | { ok: false; problem: string } {
  if (time === undefined) return { ok: true };
  if (cadence !== 'daily')
    return { ok: false, problem: `A time of day is for \`daily\` digests only (${cadence} has none).` };
  if (zone === undefined && !/^\d/.test(time)) [time, zone] = ['00:00', time];
  const m = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59)
    return { ok: false, problem: `\`time\` must be a time of day like 09:00, got ${code(time)}.` };
  if (zone !== undefined && !isTimezone(zone))
    return {
      ok: false,
      problem: `\`timezone\` must be an IANA time zone like Europe/Zurich, got ${code(zone)}.`,
    };
  return { ok: true, at: `${m[1]!.padStart(2, '0')}:${m[2]}`, timezone: zone ?? 'UTC' };
}

/** `chain:x` / `source:x` name the scope; a bare word is left to the alerter (a source its rules watch, else a chain). */
export function parseTarget(
  word: string,
): { ok: true; value: string; scope?: AlertSubscription['scope'] } | { ok: false; problem: string } {
  const m = /^(chain|source):(.*)$/.exec(word.trim());
  const value = (m ? m[2]! : word).trim();
  if (!/^[A-Za-z0-9_.\-/]+$/.test(value))
    return {
      ok: false,
      problem: '`target` must be a chain id or a source (e.g. `cosmoshub-4`, `cosmos-ibc`).',
    };
  return m ? { ok: true, value, scope: m[1] as AlertSubscription['scope'] } : { ok: true, value };
}

/** Shown as text (never a mention), quotes made harmless. */
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const scopeText = (s: Pick<AlertSubscription, 'scope' | 'value'>) => `${s.scope} ${code(s.value)}`;

const subscribeCommand: Command = {
  name: 'subscribe',
  summary: 'Follow the alerts of a chain or a source: tagged at once, or an hourly or daily digest',
  description:
    'Subscribes you to the alerts of a chain (`cosmoshub-4`) or a source (`cosmos-ibc`; `chain:x` or ' +
    '`source:x` to say which). `immediate` tags you on each alert; `hourly` (UTC hours) and `daily` send you one ' +
    'message a period listing what fired, resolved and is still firing there, instead of tagging you on each. ' +
    'A daily digest comes at 00:00 UTC, or at the time and IANA time zone you give (`daily 09:00 Europe/Zurich`, ' +
    'DST followed, its times shown on that clock); you have one daily time, for all your daily subscriptions. ' +
    'Subscribing again changes the cadence (or the time).',
  args: [
    {
      name: 'target',
      description: 'a chain id or a source',
      type: 'string',
      required: true,
      autocomplete: true,
    },
    {
      name: 'cadence',
      description: 'immediate, hourly or daily',
      type: 'string',
      required: true,
      autocomplete: true,
    },
    {
      name: 'time',
      description: 'daily only: the time of day, e.g. 09:00 (default 00:00)',
      type: 'string',
      required: false,
    },
    {
      name: 'timezone',
      description: 'daily only: an IANA time zone, e.g. Europe/Zurich (default UTC)',
      type: 'string',
      required: false,
      autocomplete: true,
    },
  ],
  examples: [
    'subscribe cosmoshub-4 hourly',
    'subscribe cosmos-ibc daily',
    'subscribe osmosis-1 daily 09:00 Europe/Zurich',
    'subscribe chain:osmosis-1 immediate',
  ],
  async run(ctx) {
    const target = parseTarget(String(ctx.args.target));
    if (!target.ok) return usageReply(this, target.problem);
    const cadence = String(ctx.args.cadence).toLowerCase();
    if (!(CADENCES as readonly string[]).includes(cadence))
      return usageReply(this, `\`cadence\` must be immediate, hourly or daily, got ${code(cadence)}.`);
    const word = (a: string) => (ctx.args[a] === undefined ? undefined : String(ctx.args[a]));
    const time = parseDailyTime(cadence as Cadence, word('time'), word('timezone'));
    if (!time.ok) return usageReply(this, time.problem);
    try {
      const { subscription: s, created } = await call(ctx, 'alerter', 'alert_subscribe', {
        owner: ctx.caller.owner,
        value: target.value,
        ...(target.scope ? { scope: target.scope } : {}),
        cadence: cadence as Cadence,
        ...(time.at ? { at: time.at, timezone: time.timezone } : {}),
      });
      return {
        title: created ? 'Subscribed' : 'Cadence changed',
        text: `${cadenceText(s)} ${scopeText(s)}. \`$unsubscribe ${s.value}\` stops it.`,
        kind: 'ok',
      };
    } catch (err) {
      if (isRpcError(err, 'bad_request')) return usageReply(this, `${err.message}.`);
      return failureReply('alerter', err);
    }
  },
  async complete(ctx, arg, partial) {
    if (arg === 'cadence')
      return choices(
        CADENCES.map((c) => ({ name: c, value: c })),
        partial,
      );
    if (arg === 'timezone')
      return choices(
        Intl.supportedValuesOf('timeZone').map((z) => ({ name: z, value: z })),
        partial,
      );
    if (arg !== 'target') return [];
    const { chains } = await call(ctx, 'cosmos-ibc', 'chains', {}).catch(() => ({ chains: [] }));
    return choices(
      chains.map((c) => ({ name: `${c.name} (${c.chain_id})`, value: c.chain_id })),
      partial,
    );
  },
};

const unsubscribeCommand: Command = {
  name: 'unsubscribe',
  summary: 'Stop following the alerts of a chain or a source',
  description: 'Removes your subscription to a chain or a source (`$subscriptions` lists yours).',
  args: [
    {
      name: 'target',
      description: 'the chain id or source',
      type: 'string',
      required: true,
      autocomplete: true,
    },
  ],
  examples: ['unsubscribe cosmoshub-4'],
  async run(ctx) {
    const target = parseTarget(String(ctx.args.target));
    if (!target.ok) return usageReply(this, target.problem);
    try {
      await call(ctx, 'alerter', 'alert_unsubscribe', {
        by: ctx.caller.owner,
        is_admin: ctx.caller.isAdmin,
        value: target.value,
        ...(target.scope ? { scope: target.scope } : {}),
      });
      return { title: 'Unsubscribed', text: `No more alerts of ${code(target.value)} for you.`, kind: 'ok' };
    } catch (err) {
      if (isRpcError(err, 'not_found'))
        return {
          title: 'Nothing to remove',
          text: `You have no subscription to ${code(target.value)}. \`$subscriptions\` lists yours.`,
          kind: 'error',
          ephemeral: true,
        };
      return failureReply('alerter', err);
    }
  },
  async complete(ctx, arg, partial) {
    if (arg !== 'target') return [];
    const { subscriptions } = await call(ctx, 'alerter', 'alert_subscriptions', { owner: ctx.caller.owner });
    return choices(
      subscriptions.map((s) => ({ name: `${s.scope} ${s.value} (${s.cadence})`, value: s.value })),
      partial,
    );
  },
};

const subscriptionsCommand: Command = {
  name: 'subscriptions',
  summary: 'Your subscriptions to chains and sources, with their cadence',
  args: [],
  examples: ['subscriptions'],
  async run(ctx) {
    try {
      const { subscriptions } = await call(ctx, 'alerter', 'alert_subscriptions', {
        owner: ctx.caller.owner,
      });
      if (!subscriptions.length)
        return {
          title: 'No subscriptions',
          text: 'You follow no chain or source. `$subscribe cosmoshub-4 hourly` starts one.',
          kind: 'ok',
          ephemeral: true,
        };
      return {
        title: 'Your subscriptions',
        text: subscriptions
          .map((s) => `• ${scopeText(s)}: ${s.cadence}${s.cadence === 'daily' ? ` ${dailyTime(s)}` : ''}`)
          .join('\n'),
        kind: 'ok',
        ephemeral: true,
      };
    } catch (err) {
      return failureReply('alerter', err);
    }
  },
};

/** `$subscribe`, `$unsubscribe`, `$subscriptions`: per-user alert subscriptions with a cadence (the alerter keeps them). */
export function alertSubscriptionCommands(): Command[] {
  return [subscribeCommand, unsubscribeCommand, subscriptionsCommand];
}
