import type { CommandReply } from '@tocsin/commands';
import {
  type Block,
  clip,
  context,
  esc,
  fieldSections,
  header,
  LIMITS,
  lineSections,
  type SlackMessage,
  section,
} from './blocks.ts';

/** What a slash command answers inline (https://docs.slack.dev/interactivity/implementing-slash-commands). */
export interface SlashResponse extends SlackMessage {
  response_type: 'ephemeral' | 'in_channel';
}

/**
 * Command replies are written in the common chat markdown (`**bold**`, `[title](url)`, `code`); Slack's mrkdwn
 * differs. A reply carries what the user typed (a filter, matchers, a note) and what the alerter and chains said,
 * so all of it is escaped (`esc`): `<wallet>` stays text and `<!channel>` or `<@U123>` never become mentions.
 * `$command` hints become `/tocsin command`.
 */
export function toMrkdwn(text: string, prefix = '/tocsin '): string {
  return esc(text)
    .replace(/`\$(?=[a-z])/g, `\`${prefix}`)
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/__(.+?)__/g, '_$1_')
    .replace(/~~(.+?)~~/g, '~$1~')
    .replace(
      /\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g,
      (_m, title: string, url: string) =>
        // Already escaped; a `|` would split Slack's link syntax.
        `<${url.replace(/\|/g, '%7C')}|${title.replace(/\|/g, '¦')}>`,
    );
}

const KIND_ICON = { error: '❌', usage: '⚠️', ok: '' } as const;

function pageBlocks(reply: CommandReply, budget: number): Block[] {
  const blocks: Block[] = [];
  const icon = KIND_ICON[reply.kind ?? 'ok'];
  if (reply.title) {
    blocks.push(
      reply.kind === 'error' || reply.kind === 'usage'
        ? section(`${icon} *${toMrkdwn(reply.title)}*`)
        : header(reply.title),
    );
  }
  if (reply.text)
    blocks.push(...lineSections(toMrkdwn(reply.text).split('\n'), 3, (k) => `_… ${k} more lines_`));
  const fields = reply.fields ?? [];
  const inline = fields
    .filter((f) => f.inline)
    .map((f) => ({ name: toMrkdwn(f.name), value: toMrkdwn(f.value) }));
  const full = fields.filter((f) => !f.inline).map((f) => `*${toMrkdwn(f.name)}*\n${toMrkdwn(f.value)}`);
  blocks.push(...fieldSections(inline));
  if (full.length) {
    blocks.push(...lineSections(full, Math.max(1, budget - blocks.length), (k) => `_… and ${k} more_`));
  }
  return blocks.slice(0, budget);
}

function plain(reply: CommandReply): string {
  const parts = [reply.title, reply.text, ...(reply.fields ?? []).map((f) => `${f.name}: ${f.value}`)];
  return parts.filter(Boolean).join('\n');
}

/**
 * A platform-neutral command reply as a slash-command response. Paged replies are shown one after the other while
 * they fit in a message (50 blocks); the rest are counted, so the reader knows to narrow the query.
 */
export function renderCommandReply(reply: CommandReply): SlashResponse {
  const blocks: Block[] = [];
  const pages = reply.pages?.length ? reply.pages : [];
  blocks.push(...pageBlocks({ ...reply, pages: undefined }, LIMITS.blocks - 2));
  let shown = 0;
  for (const [i, page] of pages.entries()) {
    const next = pageBlocks(page, LIMITS.blocks);
    // Keep room for the divider, the page marker and the final "more pages" line.
    if (blocks.length + next.length + 3 > LIMITS.blocks) break;
    if (blocks.length) blocks.push({ type: 'divider' });
    blocks.push(...next, context(`Page ${i + 1} of ${pages.length}`));
    shown++;
  }
  if (shown < pages.length)
    blocks.push(context(`_${pages.length - shown} more pages not shown: narrow the query._`));
  const text = clip(
    [plain(reply), ...pages.slice(0, shown).map(plain)].filter(Boolean).join('\n\n') || 'Done.',
    LIMITS.fallbackText,
  );
  if (blocks.length === 0) blocks.push(section(toMrkdwn(text)));
  return { response_type: reply.ephemeral ? 'ephemeral' : 'in_channel', text: esc(text), blocks };
}
