import type { Alert, Notification, Transition } from '@tocsin/events';
import { flapNote, listedLabels, SEVERITY_ICON, TRANSITION_VERB } from '@tocsin/notify';
import { formatDuration } from '@tocsin/runtime';
import type { TelegramConfig } from './config.ts';

/** Telegram's limit on a message's text (after entities are parsed); the HTML we send is kept under it. */
export const MAX_TEXT = 4096;
/** Our budget for the HTML source (always at least as long as the text Telegram counts). */
const BUDGET = 3900;

/**
 * Escapes user- and chain-supplied text for HTML parse mode, and breaks `@username` (which Telegram turns into a
 * mention that notifies that user) with a word joiner: only tocsin's own tg://user links ping anyone.
 */
export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/@(?=[A-Za-z0-9_])/g, '@\u2060');
}

export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/**
 * The light Markdown command replies use in every chat, on escaped text: `x` → <code>x</code>, **x** → <b>x</b>.
 */
export function codeSpans(escaped: string): string {
  // Never nested: a code span holds no tag (Telegram allows no entity inside code).
  return escaped
    .replace(/\*\*([^*`\n<>]{1,200})\*\*/g, '<b>$1</b>')
    .replace(/`([^`\n<>]{1,200})`/g, '<code>$1</code>');
}

/** What an alert message shows: the notification that announced it with its alerts' latest states. */
export interface MessageState {
  notification: Notification;
  /** Who acknowledged (owner → name shown), set by a button or by the alerter's acknowledged transition. */
  ackedBy?: Record<string, string>;
  silenced?: { by: string; until: string } | null;
  /** Who resolved it by hand (the Resolve button): an owner, named through `ackedBy`. */
  resolvedBy?: string;
  /** A digest of several notifications (a burst past the chat's rate). */
  digest?: number;
}

export interface RenderOptions {
  mentions: number[];
  explorers: TelegramConfig['explorers'];
  dashboardUrl?: string;
}

const PINGING = new Set<Transition>(['firing', 'repeat', 'escalated']);
const TELEGRAM_OWNER = /^telegram:(\d{1,15})$/;

/** Who a notification tags: configured users plus the Telegram subscribers its alerts carry (others skipped). */
export function mentionIds(n: Notification, configured: number[]): number[] {
  // A subscriber's digest tags its owner only (not the configured users).
  if (n.digest) {
    const m = TELEGRAM_OWNER.exec(n.digest.owner);
    return m ? [Number(m[1])] : [];
  }
  if (!PINGING.has(n.transition)) return [];
  const owners = [...n.mentions, ...n.alerts.flatMap((a) => a.mentions)];
  const ids = owners.flatMap((o) => {
    const m = TELEGRAM_OWNER.exec(o);
    return m ? [Number(m[1])] : [];
  });
  return [...new Set([...configured, ...ids])];
}

export function mentionLinks(ids: number[]): string {
  return ids.map((id) => `<a href="tg://user?id=${id}">👤 ${id}</a>`).join(' ');
}

/** An owner shown as text, never a mention (`telegram:1` → the name we know for it, or the owner). */
export function ownerText(owner: string, names: Record<string, string> = {}): string {
  // Own keys only: an owner string like `__proto__` must not find Object.prototype.
  const name = Object.hasOwn(names, owner) ? names[owner] : undefined;
  return typeof name === 'string' && name ? `${esc(clip(name, 64))} (${esc(owner)})` : esc(owner);
}

const safeUrl = (u: string) => /^https?:\/\/[^\s"<>]+$/.test(u);
const link = (url: string, title: string) => `<a href="${esc(url)}">${esc(clip(title, 60))}</a>`;

function links(a: Alert, opts: RenderOptions): string[] {
  const out = a.links.filter((l) => safeUrl(l.url)).map((l) => link(l.url, l.title));
  for (const e of opts.explorers) {
    const chains = e.chain_id === undefined ? undefined : [e.chain_id].flat();
    const value = a.labels[e.label];
    if (!value || (chains && !chains.includes(a.chain_id))) continue;
    const url = e.url
      .replace('{value}', encodeURIComponent(value))
      .replace('{chain_id}', encodeURIComponent(a.chain_id));
    if (safeUrl(url)) out.push(link(url, e.title));
  }
  if (opts.dashboardUrl) {
    const url = opts.dashboardUrl
      .replace('{episode_id}', encodeURIComponent(a.episode_id))
      .replace('{chain_id}', encodeURIComponent(a.chain_id))
      .replace('{rule}', encodeURIComponent(a.rule_id));
    if (safeUrl(url)) out.push(link(url, 'Dashboard'));
  }
  return out;
}

function icon(a: Alert, notice = false): string {
  if (a.retracted) return '↩️';
  return a.state === 'resolved' && !notice ? '✅' : (SEVERITY_ICON[a.severity] ?? '•');
}

/** The summary, struck through once the fact behind the alert was withdrawn. */
function summaryOf(a: Alert, max: number, bold = false): string {
  const text = esc(clip(a.summary, max));
  if (a.retracted) return `<s>${text}</s>`;
  return bold ? `<b>${text}</b>` : text;
}

/** One alert in full: summary, chain, severity, labels, value, description, links, id. */
function alertBlock(a: Alert, opts: RenderOptions, state: MessageState): string[] {
  const notice = state.notification.transition === 'notice';
  const lines = [`${icon(a, notice)} ${summaryOf(a, 300, true)}`];
  if (a.retracted) lines.push(`<i>retracted: ${esc(clip(a.retracted.reason, 300))}</i>`);
  const facts = [a.chain_id === '-' ? null : `chain <code>${esc(clip(a.chain_id, 64))}</code>`, a.severity];
  lines.push(facts.filter(Boolean).join(' · '));
  const labels = listedLabels(a);
  for (const [k, v] of labels.slice(0, 12))
    lines.push(`${esc(clip(k, 40))}: <code>${esc(clip(v, 120))}</code>`);
  if (a.value !== null) lines.push(`value: <code>${a.value}</code>`);
  if (a.description) lines.push(`<i>${esc(clip(a.description, 800))}</i>`);
  const started = Date.parse(a.started_at);
  if (notice) {
    lines.push(esc(a.started_at));
  } else if (a.state === 'resolved' && a.resolved_at) {
    const took = Date.parse(a.resolved_at) - started;
    lines.push(`resolved ${esc(a.resolved_at)}${took > 0 ? ` after ${formatDuration(took)}` : ''}`);
  } else {
    lines.push(`since ${esc(a.started_at)}`);
  }
  const flap = flapNote(a);
  if (flap) lines.push(`〰️ ${esc(flap)}`);
  const acked = a.acknowledged;
  if (acked) lines.push(`✋ Acknowledged by ${ownerText(acked.by, state.ackedBy)}`);
  const ls = links(a, opts);
  if (ls.length) lines.push(ls.join(' · '));
  lines.push(`<i>${esc(a.rule_id)} · id <code>${esc(a.episode_id)}</code></i>`);
  return lines;
}

function compactLine(a: Alert, state: MessageState): string {
  const chain = a.chain_id === '-' ? '' : ` · ${esc(clip(a.chain_id, 40))}`;
  const acked = a.acknowledged ? ` · ✋ ${ownerText(a.acknowledged.by, state.ackedBy)}` : '';
  const gone = a.retracted ? ` · retracted: ${esc(clip(a.retracted.reason, 120))}` : '';
  const note = flapNote(a);
  const flap = note ? ` · ${esc(note)}` : '';
  return `${icon(a)} ${summaryOf(a, 150)}${chain} · <code>${esc(a.episode_id)}</code>${acked}${gone}${flap}`;
}

function header(n: Notification, count: number): string {
  const head =
    n.transition === 'resolved'
      ? '✅'
      : n.transition === 'retracted'
        ? '↩️'
        : (SEVERITY_ICON[n.severity] ?? '•');
  const many = count > 1 ? ` · ${count} alerts` : '';
  // One incident (a correlation rule tied these alerts): its cause-first line; the alerts follow, cause first.
  const incident = n.incident ? `\n🧩 <b>Incident</b>: ${esc(clip(n.incident.summary, 400))}` : '';
  return `${head} <b>${TRANSITION_VERB[n.transition]}</b> · ${esc(n.severity)} · ${esc(n.source)}${many}${incident}`;
}

/** Lines in order until the budget is spent; what does not fit is counted. */
function fit(head: string[], items: string[][], tail: string[]): string {
  const fixed = [...head, ...tail].join('\n').length + 40;
  const out: string[] = [...head];
  let used = fixed;
  let shown = 0;
  for (const block of items) {
    const text = block.join('\n');
    if (used + text.length + 2 > BUDGET) break;
    out.push('', text);
    used += text.length + 2;
    shown++;
  }
  if (shown < items.length)
    out.push('', `… and ${items.length - shown} more (<code>/alerts</code> lists them)`);
  return [...out, ...tail].join('\n');
}

/** The current alert of each episode in the message (a later transition replaces the announced one). */
function currentAlerts(state: MessageState): Alert[] {
  return state.notification.alerts;
}

/** The whole alert message as it should look now (HTML). */
export function renderMessage(state: MessageState, opts: RenderOptions): string {
  const n = state.notification;
  const alerts = currentAlerts(state);
  // A notice is news, not a problem: it is never shown as resolved.
  const allResolved = n.transition !== 'notice' && alerts.every((a) => a.state === 'resolved');
  const allRetracted = alerts.every((a) => a.retracted);
  const shown: Notification = allRetracted
    ? { ...n, transition: 'retracted' }
    : allResolved
      ? { ...n, transition: 'resolved' }
      : n;
  const head = state.digest
    ? [`📋 <b>${state.digest} updates</b> · ${alerts.length} alerts`]
    : [header(shown, alerts.length)];
  // One alert in full; a group or a digest one line per alert, so that a whole digest fits in one message.
  const blocks =
    alerts.length === 1 && !state.digest
      ? [alertBlock(alerts[0]!, opts, state)]
      : alerts.map((a) => [compactLine(a, state)]);
  const tail: string[] = [];
  if (state.silenced) {
    tail.push(
      '',
      `🔕 Silenced until ${esc(state.silenced.until)} by ${ownerText(state.silenced.by, state.ackedBy)}`,
    );
  }
  if (state.resolvedBy) tail.push('', `✅ Resolved by ${ownerText(state.resolvedBy, state.ackedBy)}`);
  const ids = mentionIds(n, opts.mentions);
  if (ids.length && !allResolved) tail.push('', `cc ${mentionLinks(ids)}`);
  return fit(head, blocks, tail);
}

/** The reply under the original message for a later transition (resolve, repeat, escalation, retraction). */
export function renderReply(n: Notification, opts: RenderOptions): string {
  const lines = [header(n, n.alerts.length)];
  for (const a of n.alerts.slice(0, 20)) lines.push(`${icon(a)} ${summaryOf(a, 200)}`);
  if (n.alerts.length > 20) lines.push(`… and ${n.alerts.length - 20} more`);
  const ids = mentionIds(n, opts.mentions);
  if (ids.length) lines.push(`cc ${mentionLinks(ids)}`);
  return lines.join('\n');
}

export const CALLBACK = { ack: 'ack', silence1h: 's1', silence24h: 's24', resolve: 'rs' } as const;

export interface Button {
  text: string;
  callback_data: string;
}

/**
 * Acknowledge / Snooze 1 h / Snooze 24 h (a silence of the alert's labels) while something in the message is still
 * open, and Resolve when an open alert is one its rule cannot resolve (`manual_resolve`).
 */
export function keyboard(state: MessageState): { inline_keyboard: Button[][] } | undefined {
  const n = state.notification;
  if (n.transition === 'notice' || state.digest) return undefined;
  const open = n.alerts.filter((a) => a.state !== 'resolved');
  if (!open.length) return undefined;
  const target = n.alerts.length === 1 ? n.alerts[0]!.episode_id : '*';
  const row: Button[] = [];
  if (!open.every((a) => a.acknowledged))
    row.push({ text: '✋ Acknowledge', callback_data: `${CALLBACK.ack}:${target}` });
  if (!state.silenced) {
    row.push({ text: '💤 Snooze 1 h', callback_data: `${CALLBACK.silence1h}:${target}` });
    row.push({ text: '💤 Snooze 24 h', callback_data: `${CALLBACK.silence24h}:${target}` });
  }
  // Its own row: four buttons in one are cut short on a phone.
  const rows = [
    row,
    ...(open.some((a) => a.manual_resolve)
      ? [[{ text: '✅ Resolve', callback_data: `${CALLBACK.resolve}:${target}` }]]
      : []),
  ].filter((r) => r.length);
  return rows.length ? { inline_keyboard: rows } : undefined;
}

export type ButtonAction = { kind: 'ack' | 'silence' | 'resolve'; hours: number; episode: string };

export function decodeCallback(data: string): ButtonAction | null {
  const m = /^(ack|s1|s24|rs):([0-9A-Z]{26}|\*)$/.exec(data);
  if (!m) return null;
  if (m[1] === 'ack') return { kind: 'ack', hours: 0, episode: m[2]! };
  if (m[1] === 'rs') return { kind: 'resolve', hours: 0, episode: m[2]! };
  return { kind: 'silence', hours: m[1] === 's1' ? 1 : 24, episode: m[2]! };
}

/** A later transition applied to a stored message: each alert replaced by its newer state. */
export function applyTransition(state: MessageState, n: Notification): MessageState {
  const newer = new Map(n.alerts.map((a) => [a.episode_id, a]));
  const alerts = state.notification.alerts.map((a) => newer.get(a.episode_id) ?? a);
  return { ...state, notification: { ...state.notification, alerts } };
}

/** A digest of several notifications as one message state. */
export function digestState(ns: Notification[]): MessageState {
  const first = ns[0]!;
  const pinging = ns.find((n) => PINGING.has(n.transition));
  return {
    notification: {
      ...(pinging ?? first),
      alerts: ns.flatMap((n) => n.alerts),
      mentions: ns.flatMap((n) => n.mentions),
    },
    digest: ns.length,
  };
}
