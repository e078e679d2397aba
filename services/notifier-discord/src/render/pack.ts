import type { APIEmbed, APIEmbedField } from 'discord.js';
import { LIMITS } from './limits.ts';
import type { Mentions } from './mentions.ts';

/** What every part of a card's message repeats or carries once: title, colour, footer, timestamp. */
export interface Header {
  title: string;
  description?: string;
  color: number;
  footer: string;
  timestamp: string;
  url?: string;
}

/**
 * Packs fields into messages within Discord's limits: 25 fields per embed, 10 embeds and 6,000 embed characters
 * per message. The first embed of each part carries the title (with "(part i/n)"), the last one the footer.
 */
export function packEmbeds(header: Header, fields: APIEmbedField[]): APIEmbed[][] {
  const reserve = header.title.length + 16 + header.footer.length;
  const budget = LIMITS.embedCharsPerMessage - reserve;
  const messages: APIEmbedField[][][] = [];
  let embeds: APIEmbedField[][] = [];
  let current: APIEmbedField[] = [];
  let used = header.description?.length ?? 0;
  const closeEmbed = () => {
    if (current.length) embeds.push(current);
    current = [];
  };
  const closeMessage = () => {
    closeEmbed();
    messages.push(embeds);
    embeds = [];
    used = 0;
  };
  for (const f of fields) {
    const size = f.name.length + f.value.length;
    if (used + size > budget) closeMessage();
    else if (current.length === LIMITS.fieldsPerEmbed) {
      closeEmbed();
      if (embeds.length === LIMITS.embedsPerMessage) closeMessage();
    }
    current.push(f);
    used += size;
  }
  closeMessage();
  const parts = messages.filter((m, i) => i === 0 || m.length > 0);
  return parts.map((m, i) => {
    const list: APIEmbed[] = (m.length ? m : [[]]).map((fs) => ({
      color: header.color,
      ...(fs.length ? { fields: fs } : {}),
    }));
    list[0] = {
      title: parts.length > 1 ? `${header.title} (part ${i + 1}/${parts.length})` : header.title,
      ...(i === 0 && header.description ? { description: header.description } : {}),
      ...(i === 0 && header.url ? { url: header.url } : {}),
      ...list[0],
    };
    const last = list.length - 1;
    const footer = parts.length > 1 ? `${header.footer} · part ${i + 1}/${parts.length}` : header.footer;
    list[last] = { ...list[last], footer: { text: footer }, timestamp: header.timestamp };
    return list;
  });
}

/** The mentions as message contents, each within Discord's content limit. */
export function mentionChunks(m: Mentions): string[] {
  const tokens = [...m.roles.map((r) => `<@&${r}>`), ...m.users.map((u) => `<@${u}>`)];
  const chunks: string[] = [];
  let cur = '';
  for (const t of tokens) {
    if (cur.length + t.length + 1 > LIMITS.content) {
      chunks.push(cur);
      cur = '';
    }
    cur = cur ? `${cur} ${t}` : t;
  }
  if (cur) chunks.push(cur);
  return chunks;
}
