/**
 * The Block Kit subset tocsin sends, and Slack's limits for it (https://docs.slack.dev/reference/block-kit/blocks).
 * Structurally compatible with @slack/types' KnownBlock, so the SDK accepts it unchanged.
 */
export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
  /** Always true: Slack must not turn a bare `@here`, `#channel` or name into a link or mention. */
  verbatim: true;
}
export type TextObject = PlainText | Mrkdwn;

export interface Button {
  type: 'button';
  text: PlainText;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
}

export type Block =
  | { type: 'header'; text: PlainText }
  | { type: 'section'; text?: Mrkdwn; fields?: Mrkdwn[] }
  | { type: 'context'; elements: Mrkdwn[] }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** Notification and fallback text (push notifications, screen readers, old clients). */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  fallbackText: 3000,
} as const;

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The one place Slack text from outside (command arguments, alert summaries and labels built from chain data,
 * silence matchers, notes, user names) is made safe: `&`, `<` and `>` escaped as Slack's formatting docs ask, so no
 * `<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`, `<@U…>` or `<url|link>` can be formed from it. With
 * `verbatim` text objects Slack does not parse bare `@here` either; the only live mentions are the ones the
 * renderers add themselves (configured mentions and subscribers).
 */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A link `<url|title>`: only http(s) URLs, with the characters that would end or split Slack's link syntax
 * percent-encoded; anything else is shown as text.
 */
export function link(url: string, title: string): string {
  if (!/^https?:\/\/[^\s]+$/i.test(url)) return esc(title);
  const safe = url
    .replace(/[<>|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/&/g, '&amp;');
  return `<${safe}|${esc(title).replace(/\|/g, '¦')}>`;
}

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, LIMITS.headerText), emoji: true },
});

export const section = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text, LIMITS.sectionText), verbatim: true },
});

export const context = (...texts: string[]): Block => ({
  type: 'context',
  elements: texts
    .filter(Boolean)
    .slice(0, LIMITS.contextElements)
    .map((t) => ({ type: 'mrkdwn', text: clip(t, LIMITS.sectionText), verbatim: true })),
});

/** Sections of at most 10 fields each. */
export function fieldSections(fields: { name: string; value: string }[]): Block[] {
  const out: Block[] = [];
  for (let i = 0; i < fields.length; i += LIMITS.fields) {
    out.push({
      type: 'section',
      fields: fields.slice(i, i + LIMITS.fields).map((f) => ({
        type: 'mrkdwn',
        text: clip(`*${f.name}*\n${f.value}`, LIMITS.fieldText),
        verbatim: true,
      })),
    });
  }
  return out;
}

/**
 * Packs lines into as few sections as possible (each ≤ 3000 chars), using at most `maxSections`; lines that do
 * not fit are counted in a final "… and N more" line.
 */
export function lineSections(lines: string[], maxSections: number, more: (n: number) => string): Block[] {
  const max = Math.max(1, maxSections);
  const texts: string[] = [];
  let cur = '';
  let used = 0;
  // Room kept in the last section for the "… and N more" line.
  const reserve = 80;
  for (const line of lines.map((l) => clip(l, LIMITS.sectionText - reserve))) {
    const next = cur ? `${cur}\n${line}` : line;
    const last = texts.length === max - 1;
    if (next.length <= LIMITS.sectionText - (last ? reserve : 0)) {
      cur = next;
      used++;
      continue;
    }
    if (last) break;
    texts.push(cur);
    cur = line;
    used++;
  }
  if (used < lines.length) cur = `${cur}\n${more(lines.length - used)}`;
  if (cur) texts.push(cur);
  return texts.map((t) => section(t));
}
