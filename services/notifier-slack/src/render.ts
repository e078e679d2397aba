import type { Alert, Notification, Transition } from '@tocsin/events';
import { flapNote, isNotice, listedLabels, SEVERITY_ICON } from '@tocsin/notify';
import { formatDuration } from '@tocsin/runtime';
import { ACTION, alertButtons } from './actions.ts';
import {
  type Block,
  clip,
  context,
  esc,
  fieldSections,
  header,
  LIMITS,
  lineSections,
  link,
  type SlackMessage,
  section,
} from './blocks.ts';

/**
 * What an alert message shows now: the notification that announced it, with each alert replaced by its latest
 * state as later transitions (resolve, ack, retract) and button clicks arrive. Kept in PostgreSQL so the message
 * can be re-rendered after a restart.
 */
export interface MessageState {
  notification: Notification;
  /** Episodes whose alert was retracted (e.g. its block left the best chain). */
  retracted: string[];
  silence: { by: string; until: string } | null;
  /** Who resolved it by hand (the Resolve button). */
  resolvedBy?: string;
  /** Set when the message is a digest of several notifications (a burst past the channel's rate). */
  digest?: { notifications: number };
}

export interface RenderOptions {
  /** Configured mentions (Slack syntax), tagged on the transitions that need someone to act. */
  mentions: string[];
}

const VERB: Record<Transition, string> = {
  firing: 'Firing',
  resolved: 'Resolved',
  repeat: 'Still firing',
  escalated: 'Escalated',
  acknowledged: 'Acknowledged',
  retracted: 'Retracted',
  notice: 'Notice',
  flapping: 'Flapping',
};
/** Transitions that tag people; the others (resolve, ack, retract) are news, not calls to act. */
const MENTION_ON = new Set<Transition>(['firing', 'repeat', 'escalated']);
const SLACK_OWNER = /^slack:[UW][A-Z0-9]{2,}$/;

/**
 * `slack:U123` (a user Slack identified: a button click, a command) → `<@U123>`; anything else, owners from other
 * chats and anything malformed included, is shown as escaped text, never as a mention.
 */
export function ownerMention(owner: string): string {
  if (SLACK_OWNER.test(owner)) return `<@${owner.slice(6)}>`;
  return `\`${esc(owner.replace(/`/g, "'"))}\``;
}

/** Configured mentions plus the Slack users the alerts carry (subscribers); Discord owners are skipped. */
export function mentionsFor(n: Notification, opts: RenderOptions): string[] {
  // A subscriber's digest tags its owner only (not the configured mentions).
  if (n.digest) return SLACK_OWNER.test(n.digest.owner) ? [ownerMention(n.digest.owner)] : [];
  if (!MENTION_ON.has(n.transition)) return [];
  const owners = [...n.mentions, ...n.alerts.flatMap((a) => a.mentions)];
  const fromAlerts = owners.filter((o) => SLACK_OWNER.test(o)).map(ownerMention);
  return [...new Set([...opts.mentions, ...fromAlerts])];
}

/** Slack shows `<!date>` in each reader's time zone; the ISO text is the fallback. */
export function slackDate(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return esc(iso);
  return `<!date^${Math.floor(t / 1000)}^{date_short_pretty} {time}|${esc(new Date(t).toISOString())}>`;
}

function icon(a: Alert, retracted: boolean, notice: boolean): string {
  if (retracted) return '↩️';
  if (a.state === 'resolved' && !notice) return '✅';
  return SEVERITY_ICON[a.severity] ?? '•';
}

function lifetime(a: Alert, until: string): string {
  return formatDuration(Date.parse(until) - Date.parse(a.started_at));
}

/** One line per alert in grouped messages and thread replies (a notice's alert has no resolve to show). */
export function alertLine(a: Alert, retracted = false, notice = false): string {
  const summary = retracted ? `~${esc(a.summary)}~` : `*${esc(a.summary)}*`;
  const parts = [`${icon(a, retracted, notice)} ${summary} · \`${esc(a.chain_id)}\``];
  if (a.state === 'resolved' && a.resolved_at && !notice) parts.push(`resolved ${slackDate(a.resolved_at)}`);
  if (a.acknowledged) parts.push(`acked by ${ownerMention(a.acknowledged.by)}`);
  if (retracted && a.retracted) parts.push(`retracted: ${esc(a.retracted.reason)}`);
  const flap = flapNote(a);
  if (flap) parts.push(esc(flap));
  return parts.join(' · ');
}

function headline(state: MessageState): string {
  const n = state.notification;
  const all = n.alerts;
  if (state.digest) {
    const alerts = all.length === 1 ? '1 alert' : `${all.length} alerts`;
    return `🔔 ${state.digest.notifications} notifications at once: ${alerts}`;
  }
  const retracted = all.every((a) => state.retracted.includes(a.episode_id));
  // A notice's alert is stored as ended where it began: it is still a notice, not a resolve.
  const resolved = !isNotice(n) && all.every((a) => a.state === 'resolved');
  const verb = retracted ? 'Retracted' : resolved ? 'Resolved' : VERB[n.transition];
  const lead = retracted ? '↩️' : resolved ? '✅' : (SEVERITY_ICON[n.severity] ?? '•');
  if (all.length === 1) return `${lead} ${verb}: ${all[0]!.summary}`;
  // One incident (a correlation rule tied these alerts): its cause-first line; the alerts follow, cause first.
  if (n.incident) return `${lead} ${verb}: incident · ${n.incident.summary}`;
  return `${lead} ${verb}: ${all.length} ${n.source} alerts`;
}

function singleAlertBlocks(a: Alert, state: MessageState): Block[] {
  const retracted = state.retracted.includes(a.episode_id);
  const blocks: Block[] = [];
  const text = [
    // The header is plain text: the struck-through summary goes first in the body.
    retracted && `~${esc(a.summary)}~`,
    a.description && esc(a.description),
    retracted && `_retracted: ${esc(a.retracted?.reason || 'the fact behind it no longer holds')}._`,
  ]
    .filter(Boolean)
    .join('\n');
  if (text) blocks.push(section(text));
  const fields = [
    { name: 'Severity', value: `${SEVERITY_ICON[a.severity] ?? ''} ${a.severity}`.trim() },
    { name: 'Chain', value: `\`${esc(a.chain_id)}\`` },
    { name: 'Source', value: esc(a.source) },
    { name: 'Started', value: slackDate(a.started_at) },
  ];
  if (a.value !== null) fields.push({ name: 'Value', value: String(a.value) });
  if (a.state === 'resolved' && a.resolved_at && !isNotice(state.notification)) {
    fields.push({
      name: 'Resolved',
      value: `${slackDate(a.resolved_at)} (after ${lifetime(a, a.resolved_at)})`,
    });
  }
  const flap = flapNote(a);
  if (flap) fields.push({ name: a.flapping?.settled ? 'Settled' : 'Flapping', value: esc(flap) });
  if (a.acknowledged) {
    fields.push({
      name: 'Acknowledged',
      value: `${ownerMention(a.acknowledged.by)} ${slackDate(a.acknowledged.at)}`,
    });
  }
  // Not the implicit labels (they repeat the fields above), the sender's (the message is posted under them) or empty ones.
  const labels = listedLabels(a);
  const room = LIMITS.fields - fields.length;
  for (const [k, v] of labels.slice(0, room)) fields.push({ name: esc(k), value: `\`${esc(v)}\`` });
  blocks.push(...fieldSections(fields));
  const extra = labels.slice(room).map(([k, v]) => `${esc(k)}=\`${esc(v)}\``);
  if (extra.length) blocks.push(context(clip(extra.join(' · '), LIMITS.sectionText)));
  if (a.links.length) blocks.push(section(a.links.map((l) => link(l.url, l.title)).join(' · ')));
  return blocks;
}

function groupBlocks(state: MessageState, budget: number): Block[] {
  const n = state.notification;
  const blocks: Block[] = [];
  const fields = [
    { name: 'Severity', value: `${SEVERITY_ICON[n.severity] ?? ''} ${n.severity}`.trim() },
    { name: 'Source', value: esc(n.source) },
    ...Object.entries(n.group.labels).map(([k, v]) => ({ name: esc(k), value: `\`${esc(v)}\`` })),
  ].slice(0, LIMITS.fields);
  blocks.push(...fieldSections(fields));
  const lines = n.alerts.map((a) => alertLine(a, state.retracted.includes(a.episode_id), isNotice(n)));
  blocks.push(...lineSections(lines, budget - blocks.length, (k) => `_… and ${k} more_`));
  return blocks;
}

/** The main message of an alert (or group): posted on firing/notice and re-rendered on every later change. */
export function renderMessage(state: MessageState, opts: RenderOptions): SlackMessage {
  const n = state.notification;
  const mentions = mentionsFor(n, opts);
  const blocks: Block[] = [header(headline(state))];
  // The header is clipped: an incident's whole cause-first line goes below it.
  if (n.incident && n.alerts.length > 1) blocks.push(section(esc(n.incident.summary)));
  if (mentions.length) blocks.push(section(mentions.join(' ')));
  const tail: Block[] = [];
  const episodes = n.alerts.length === 1 ? ` · episode \`${n.alerts[0]!.episode_id}\`` : '';
  const rule = n.alerts.length === 1 ? ` · rule \`${esc(n.alerts[0]!.rule_id)}\`` : '';
  tail.push(context(`tocsin · ${slackDate(n.created_at)}${rule}${episodes}`));
  if (state.digest) {
    tail.push(context('Sent as one message: more arrived at once than the channel takes.'));
  }
  if (state.silence) {
    tail.push(
      context(`🔕 Silenced by ${ownerMention(state.silence.by)} until ${slackDate(state.silence.until)}`),
    );
  }
  if (state.resolvedBy) tail.push(context(`✅ Resolved by ${ownerMention(state.resolvedBy)}`));
  const live = n.alerts.filter((a) => !state.retracted.includes(a.episode_id));
  // Snoozed: only Resolve is left (a snooze does not end what only a person can end).
  const buttons =
    n.transition === 'notice'
      ? []
      : alertButtons({ ...n, alerts: live.length ? live : [] }).filter(
          (b) => !state.silence || b.action_id === ACTION.resolve,
        );
  if (buttons.length) tail.push({ type: 'actions', block_id: 'tocsin_alert_actions', elements: buttons });

  const budget = LIMITS.blocks - blocks.length - tail.length;
  blocks.push(
    ...(n.alerts.length === 1 ? singleAlertBlocks(n.alerts[0]!, state) : groupBlocks(state, budget)),
  );
  blocks.push(...tail);

  const text = [
    esc(headline(state)),
    ...(n.alerts.length > 1
      ? n.alerts.slice(0, 20).map((a) => `• ${esc(a.summary)} [${esc(a.chain_id)}]`)
      : []),
    mentions.join(' '),
  ]
    .filter(Boolean)
    .join('\n');
  return { text: clip(text, LIMITS.fallbackText), blocks: blocks.slice(0, LIMITS.blocks) };
}

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

/**
 * Several notifications for one channel as one message (a burst past the channel's rate): every alert they carry
 * once, in its latest state, tagged as the notifications that call for action would have tagged.
 */
export function digestState(items: Notification[]): MessageState {
  const latest = new Map<string, Alert>();
  for (const n of items) for (const a of n.alerts) latest.set(a.episode_id, { ...a, mentions: [] });
  const calling = items.filter((n) => MENTION_ON.has(n.transition));
  const owners = calling.flatMap((n) => [...n.mentions, ...n.alerts.flatMap((a) => a.mentions)]);
  const severity = items
    .map((n) => n.severity)
    .reduce((a, b) => (SEVERITY_RANK[b]! > SEVERITY_RANK[a]! ? b : a));
  const sources = new Set(items.map((n) => n.source));
  const first = items[0]!;
  return {
    notification: {
      ...first,
      key: `digest:${first.key}`,
      // Firing when anything calls for action (mentions, buttons); otherwise the first item's kind.
      transition: calling.length ? 'firing' : first.transition,
      severity,
      source: sources.size === 1 ? first.source : 'tocsin',
      group: { key: `digest:${first.key}`, labels: {} },
      alerts: [...latest.values()],
      mentions: [...new Set(owners)],
      created_at: items.map((n) => n.created_at).sort()[0]!,
    },
    retracted: items
      .filter((n) => n.transition === 'retracted')
      .flatMap((n) => n.alerts.map((a) => a.episode_id)),
    silence: null,
    digest: { notifications: items.length },
  };
}

/** A fresh notification as a message. */
export function renderNotification(n: Notification, opts: RenderOptions): SlackMessage {
  return renderMessage(
    {
      notification: n,
      retracted: n.transition === 'retracted' ? n.alerts.map((a) => a.episode_id) : [],
      silence: null,
    },
    opts,
  );
}

const REPLY_ICON: Record<Transition, string> = {
  firing: '🔴',
  resolved: '✅',
  repeat: '🔁',
  escalated: '⏫',
  acknowledged: '👀',
  retracted: '↩️',
  notice: 'ℹ️',
  flapping: '〰️',
};

function replyHeadline(n: Notification): string {
  const a = n.alerts[0]!;
  const single = n.alerts.length === 1;
  switch (n.transition) {
    case 'resolved':
      return single
        ? `Resolved after ${lifetime(a, a.resolved_at ?? n.created_at)}`
        : `${n.alerts.length} alerts resolved`;
    case 'repeat':
      return single
        ? `Still firing after ${lifetime(a, n.created_at)}`
        : `${n.alerts.length} alerts still firing`;
    case 'escalated':
      return single ? 'Escalated: still not acknowledged' : `${n.alerts.length} alerts escalated`;
    case 'acknowledged':
      return single && a.acknowledged
        ? `Acknowledged by ${ownerMention(a.acknowledged.by)}`
        : `${n.alerts.length} alerts acknowledged`;
    case 'retracted':
      return single
        ? 'Retracted: the fact behind this alert no longer holds'
        : `${n.alerts.length} alerts retracted`;
    default:
      return single ? VERB[n.transition] : `${n.alerts.length} alerts: ${VERB[n.transition].toLowerCase()}`;
  }
}

/** A later transition as a reply in the thread of the message that announced it. */
export function renderThreadReply(n: Notification, opts: RenderOptions): SlackMessage {
  const mentions = mentionsFor(n, opts);
  const head = `${REPLY_ICON[n.transition]} *${replyHeadline(n)}*`;
  const retracted = n.transition === 'retracted';
  const lines = n.alerts.map((a) => alertLine(a, retracted));
  const blocks: Block[] = [section(mentions.length ? `${head}\n${mentions.join(' ')}` : head)];
  blocks.push(...lineSections(lines, LIMITS.blocks - 2, (k) => `_… and ${k} more_`));
  blocks.push(context(`tocsin · ${slackDate(n.created_at)}`));
  const plain = replyHeadline(n).replace(/<@([A-Z0-9]+)>/g, '@$1');
  const text = [
    `${REPLY_ICON[n.transition]} ${plain}: ${n.alerts
      .slice(0, 20)
      .map((a) => esc(a.summary))
      .join('; ')}`,
    mentions.join(' '),
  ]
    .filter(Boolean)
    .join('\n');
  return { text: clip(text, LIMITS.fallbackText), blocks };
}

/** The state with some of its alerts replaced by newer versions (matched by episode). */
export function withAlerts(state: MessageState, newer: Alert[], retracted = false): MessageState {
  const latest = new Map(newer.map((a) => [a.episode_id, a]));
  const alerts = state.notification.alerts.map((a) => latest.get(a.episode_id) ?? a);
  return {
    ...state,
    notification: { ...state.notification, alerts },
    retracted: retracted ? [...new Set([...state.retracted, ...latest.keys()])] : state.retracted,
  };
}

/** The state after a later notification about some of the message's alerts. */
export function applyTransition(state: MessageState, n: Notification): MessageState {
  return withAlerts(state, n.alerts, n.transition === 'retracted');
}
