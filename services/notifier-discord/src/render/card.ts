import type { Alert, Notification, Transition } from '@tocsin/events';
import { flapNote, isNotice, listedLabels, SEVERITY_ICON, TRANSITION_VERB } from '@tocsin/notify';
import { formatDuration } from '@tocsin/runtime';
import type { APIActionRowComponent, APIButtonComponent, APIEmbed, APIEmbedField } from 'discord.js';
import type { DiscordConfig } from '../config.ts';
import { buttonsFor } from './buttons.ts';
import { clip, embedChars, LIMITS } from './limits.ts';
import { mentionsFor, mergeMentions, ownerLabel } from './mentions.ts';
import { type Header, mentionChunks, packEmbeds } from './pack.ts';
import { neutraliseAll } from './safeText.ts';

/**
 * What one Discord message (possibly split into parts) shows: one notification (a single alert, or a group that
 * changed together), or a digest of several when a burst exceeded the channel's rate. It is stored with the
 * message, and alerts in it are updated as they are acknowledged or resolved, so the message can be re-rendered.
 */
export interface Card {
  notifications: Notification[];
  /** Markers of the deliveries that posted it (shown in the footer; reconcile looks for them after a crash). */
  refs: string[];
  /** Silences set from this message's buttons, by episode id (`*` = the whole message). */
  silenced?: Record<string, { by: string; until: string }>;
  /** Who resolved an alert by hand (the Resolve button), by episode (`*`: every alert of the card). */
  resolvedBy?: Record<string, string>;
}

/** A message as sent to Discord (the wire body, snake_case). */
export interface MessageBody {
  content?: string;
  embeds: APIEmbed[];
  components?: APIActionRowComponent<APIButtonComponent>[];
  allowed_mentions?: { parse: []; users: string[]; roles: string[] };
}

export interface RenderOptions {
  mentions: DiscordConfig['mentions'];
  explorers: DiscordConfig['explorers'];
  /** Acknowledge/Silence buttons (bot mode only; webhook messages cannot carry them). */
  buttons: boolean;
  /** A reply under the original message: short, no description, no buttons. */
  compact?: boolean;
}

export const COLOURS = {
  critical: 0xd93025,
  warning: 0xf29900,
  info: 0x1a73e8,
  resolved: 0x188038,
  retracted: 0x80868b,
} as const;

const ICON = SEVERITY_ICON;
const RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };
/** Labels every alert has, shown as their own fields or not at all. */
const MAX_LABEL_FIELDS = 12;

/** Marker of a delivery in a footer: short enough to read, long enough never to collide in a channel. */
export function markerOf(attemptId: string): string {
  return attemptId.slice(0, 12);
}

/** The delivery markers and part number a footer carries (`… · ref a b · part 2/3`), or null. */
export function footerRefs(text: string): { refs: string[]; part: number } | null {
  const m = / · ref ([^·]+?)(?: · part (\d+)\/\d+)?$/.exec(text);
  if (!m) return null;
  return { refs: m[1]!.trim().split(' '), part: m[2] ? Number(m[2]) - 1 : 0 };
}

const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const stamp = (iso: string) => `<t:${unix(iso)}:f>`;
const relative = (iso: string) => `<t:${unix(iso)}:R>`;

function lasted(from: string, to: string): string {
  return formatDuration(Math.max(0, Date.parse(to) - Date.parse(from)));
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** The summary, struck through once the fact behind the alert was withdrawn. */
function struck(a: Alert): string {
  return a.retracted ? `~~${a.summary}~~` : a.summary;
}

function alertIcon(a: Alert, transition: string): string {
  if (a.retracted) return '⚪';
  if ((a.state === 'resolved' && transition !== 'notice') || transition === 'resolved') return '✅';
  if (transition === 'retracted') return '⚪';
  return ICON[a.severity] ?? '•';
}

/** Links the alert carries plus the configured explorer links for its labels. */
export function linksOf(a: Alert, explorers: DiscordConfig['explorers']): { title: string; url: string }[] {
  const out = [...a.links];
  for (const e of explorers) {
    const chains =
      e.chain_id === undefined ? undefined : Array.isArray(e.chain_id) ? e.chain_id : [e.chain_id];
    if (chains && !chains.includes(a.chain_id)) continue;
    const value = a.labels[e.label];
    if (!value) continue;
    out.push({
      title: e.title,
      url: e.url.replaceAll('{value}', encodeURIComponent(value)).replaceAll('{chain_id}', a.chain_id),
    });
  }
  return out;
}

function silenceNote(card: Card, a: Alert): string | null {
  const s = card.silenced?.[a.episode_id] ?? card.silenced?.['*'];
  if (s) return `🔕 until ${stamp(s.until)} by ${ownerLabel(s.by)}`;
  return a.silenced_by.length ? '🔕 silenced' : null;
}

function resolvedNote(card: Card, a: Alert): string | null {
  const by = card.resolvedBy?.[a.episode_id] ?? card.resolvedBy?.['*'];
  return by && a.state === 'resolved' ? ownerLabel(by) : null;
}

function ackNote(a: Alert): string | null {
  return a.acknowledged ? `${ownerLabel(a.acknowledged.by)} ${relative(a.acknowledged.at)}` : null;
}

/** The fields of a card that shows one alert. */
function singleFields(a: Alert, card: Card, n: Notification, opts: RenderOptions): APIEmbedField[] {
  const f: APIEmbedField[] = [
    { name: 'Chain', value: a.chain_id, inline: true },
    { name: 'Severity', value: a.severity, inline: true },
    { name: 'Started', value: `${stamp(a.started_at)} (${relative(a.started_at)})`, inline: true },
  ];
  // A notice's alert is stored as ended where it began: no resolve, no duration.
  if (a.resolved_at && !isNotice(n)) {
    f.push({ name: 'Resolved', value: stamp(a.resolved_at), inline: true });
    f.push({ name: 'Lasted', value: lasted(a.started_at, a.resolved_at), inline: true });
  }
  if (!opts.compact) {
    const labels = listedLabels(a);
    for (const [k, v] of labels.slice(0, MAX_LABEL_FIELDS)) {
      f.push({ name: clip(k, LIMITS.fieldName), value: clip(v, LIMITS.fieldValue), inline: true });
    }
    if (a.value !== null) f.push({ name: 'Value', value: formatValue(a.value), inline: true });
  }
  if (a.retracted)
    f.push({ name: 'Retracted', value: clip(`retracted: ${a.retracted.reason}`, LIMITS.fieldValue) });
  const flap = flapNote(a);
  if (flap)
    f.push({ name: a.flapping?.settled ? 'Settled' : 'Flapping', value: clip(flap, LIMITS.fieldValue) });
  const ack = ackNote(a);
  if (ack) f.push({ name: 'Acknowledged', value: ack, inline: true });
  const resolver = resolvedNote(card, a);
  if (resolver) f.push({ name: 'Resolved by', value: resolver, inline: true });
  const silenced = silenceNote(card, a);
  if (silenced && a.state !== 'resolved') f.push({ name: 'Silenced', value: silenced, inline: true });
  if (a.escalated && n.transition !== 'resolved')
    f.push({ name: 'Escalated', value: 'not acknowledged in time', inline: true });
  const links = linksOf(a, opts.explorers);
  if (links.length) {
    f.push({
      name: 'Links',
      value: clip(links.map((l) => `[${l.title}](${l.url})`).join(' · '), LIMITS.fieldValue),
    });
  }
  return f;
}

/** One line (a field) per alert of a grouped card or a digest. */
function listField(
  a: Alert,
  n: Notification,
  card: Card,
  digest: boolean,
  explorers: DiscordConfig['explorers'],
): APIEmbedField {
  const resolved = a.state === 'resolved' && !isNotice(n);
  const verb = digest ? `${resolved ? TRANSITION_VERB.resolved : TRANSITION_VERB[n.transition]} · ` : '';
  const parts = [
    a.chain_id,
    a.severity,
    resolved && a.resolved_at
      ? `resolved ${relative(a.resolved_at)}`
      : isNotice(n)
        ? relative(a.started_at)
        : `since ${relative(a.started_at)}`,
  ];
  if (a.retracted) parts.push(`retracted: ${a.retracted.reason}`);
  const flap = flapNote(a);
  if (flap) parts.push(flap);
  const ack = ackNote(a);
  if (ack) parts.push(`acked by ${ack}`);
  const resolver = resolvedNote(card, a);
  if (resolver) parts.push(`resolved by ${resolver}`);
  const silenced = a.state !== 'resolved' ? silenceNote(card, a) : null;
  if (silenced) parts.push(silenced);
  const links = linksOf(a, explorers);
  if (links[0]) parts.push(`[${links[0].title}](${links[0].url})`);
  return {
    name: clip(`${alertIcon(a, n.transition)} ${verb}${struck(a)}`, LIMITS.fieldName),
    value: clip(parts.join(' · '), LIMITS.fieldValue),
  };
}

function headerOf(card: Card, opts: RenderOptions): { header: Header; fields: APIEmbedField[] } {
  const entries = card.notifications.flatMap((n) => n.alerts.map((a) => ({ n, a })));
  const alerts = entries.map((e) => e.a);
  const allResolved = alerts.every((a) => a.state === 'resolved');
  const first = card.notifications[0]!;
  const transition = alerts.every((a) => a.retracted)
    ? 'retracted'
    : allResolved && first.transition !== 'notice'
      ? 'resolved'
      : first.transition;
  const severity = alerts.reduce(
    (s, a) => (RANK[a.severity]! > RANK[s]! ? a.severity : s),
    'info' as Alert['severity'],
  );
  const color =
    transition === 'resolved'
      ? COLOURS.resolved
      : transition === 'retracted'
        ? COLOURS.retracted
        : COLOURS[severity];
  const marker = `ref ${card.refs.join(' ')}`;

  if (entries.length === 1) {
    const { n, a } = entries[0]!;
    const icon =
      transition === 'resolved' ? '✅' : transition === 'retracted' ? '⚪' : (ICON[a.severity] ?? '•');
    const links = linksOf(a, opts.explorers);
    return {
      header: {
        title: clip(`${icon} ${TRANSITION_VERB[transition]} · ${struck(a)}`, LIMITS.title),
        ...(a.description && !opts.compact ? { description: clip(a.description, 3000) } : {}),
        color,
        footer: `tocsin · ${clip(a.rule_id, 100)} · ${marker}`,
        timestamp: a.started_at,
        ...(links[0] ? { url: links[0].url } : {}),
      },
      fields: singleFields(a, card, n, opts),
    };
  }

  const digest = card.notifications.length > 1;
  const resolved = alerts.filter((a) => a.state === 'resolved').length;
  let title: string;
  let description: string | undefined;
  if (digest) {
    title = `📋 ${entries.length} updates`;
    const byTransition = new Map<Transition, number>();
    for (const { n } of entries) byTransition.set(n.transition, (byTransition.get(n.transition) ?? 0) + 1);
    description = `A burst over this channel's rate, in one message: ${[...byTransition]
      .map(([t, c]) => `${c} ${TRANSITION_VERB[t].toLowerCase()}`)
      .join(', ')}.`;
  } else {
    const icon = transition === 'resolved' ? '✅' : (ICON[severity] ?? '•');
    const partly = resolved && !allResolved ? ` (${resolved} resolved)` : '';
    const labels = Object.entries(first.group.labels).filter(([, v]) => v !== '');
    if (first.incident) {
      // One incident (a correlation rule tied these alerts): its cause-first line leads; the alerts follow.
      title = `${icon} ${TRANSITION_VERB[transition]} · incident · ${first.incident.summary}`;
      description = `${first.incident.summary}\n${alerts.length} alerts${partly} · ${labels.map(([k, v]) => `${k}=${v}`).join(' · ')}`;
    } else {
      title = `${icon} ${TRANSITION_VERB[transition]} · ${alerts.length} alerts${partly} · ${first.source}`;
      if (labels.length) description = labels.map(([k, v]) => `${k}=${v}`).join(' · ');
    }
  }
  return {
    header: {
      title: clip(title, LIMITS.title - 16),
      ...(description ? { description: clip(description, 1000) } : {}),
      color,
      footer: `tocsin · ${digest ? 'digest' : clip(first.source, 100)} · ${clip(marker, 1800)}`,
      timestamp: first.created_at,
    },
    fields: entries.map(({ n, a }) => listField(a, n, card, digest, opts.explorers)),
  };
}

/**
 * Renders a card as the messages to post: embeds split within Discord's limits, the mentions as content (the
 * only place a mention pings) with `allowed_mentions` naming exactly those users and roles, and the buttons on
 * the first part. Pure.
 */
export function renderCard(card: Card, opts: RenderOptions): MessageBody[] {
  const { header, fields } = headerOf(neutraliseAll(card), opts);
  const parts = packEmbeds(header, fields);
  const mentions =
    opts.compact && card.notifications.every((n) => n.transition === 'resolved')
      ? { users: [], roles: [] }
      : mergeMentions(card.notifications.map((n) => mentionsFor(n, opts.mentions)));
  const chunks = mentionChunks(mentions);
  const components = opts.buttons && !opts.compact ? buttonsFor(card.notifications) : [];
  const bodies: MessageBody[] = parts.map((embeds, i) => ({
    ...(chunks[i] ? { content: chunks[i] } : {}),
    embeds,
    ...(i === 0 && components.length ? { components } : {}),
  }));
  for (let i = parts.length; i < chunks.length; i++) bodies.push({ content: chunks[i]!, embeds: [] });
  return bodies.map((b) => ({
    ...b,
    allowed_mentions: { parse: [], users: mentions.users.slice(0, 100), roles: mentions.roles.slice(0, 100) },
  }));
}

/** The same card for an edit of its existing parts: embeds and buttons only (content, and so pings, unchanged). */
export function renderCardEdit(
  card: Card,
  opts: RenderOptions,
): Pick<MessageBody, 'embeds' | 'components'>[] {
  const { header, fields } = headerOf(neutraliseAll(card), opts);
  const components = opts.buttons ? buttonsFor(card.notifications) : [];
  return packEmbeds(header, fields).map((embeds, i) => ({
    embeds,
    ...(opts.buttons && i === 0 ? { components } : {}),
  }));
}

/** Replaces the alerts of a card with newer versions of the same episodes (acknowledged, resolved, ...). */
export function updateCard(card: Card, alerts: Alert[]): Card {
  const byEpisode = new Map(alerts.map((a) => [a.episode_id, a]));
  return {
    ...card,
    notifications: card.notifications.map((n) => ({
      ...n,
      alerts: n.alerts.map((a) => byEpisode.get(a.episode_id) ?? a),
    })),
  };
}

/** Total embed characters of a message body (tests and the digest use it). */
export function bodyChars(b: Pick<MessageBody, 'embeds'>): number {
  return b.embeds.reduce((s, e) => s + embedChars(e), 0);
}
