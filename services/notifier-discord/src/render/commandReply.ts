import type { CommandReply } from '@tocsin/commands';
import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
import { encodeButton, pageButtonFits } from './customIds.ts';
import { clip, LIMITS } from './limits.ts';
import { neutraliseAll } from './safeText.ts';

export interface ReplyBody {
  embeds: APIEmbed[];
  components?: APIActionRowComponent<APIButtonComponent>[];
  /** Only the caller sees it (slash commands and buttons; a text command's reply is always public). */
  ephemeral?: boolean;
  /** Replies never ping, even when they name people (`acked by <@id>`). */
  allowed_mentions: { parse: [] };
}

const COLOUR = { ok: 0x5865f2, error: 0xd93025, usage: 0xf29900 } as const;

/**
 * A platform-neutral command reply as a Discord message: one embed, and for a paged listing the page asked for
 * with ◀ / ▶ buttons that re-run the command line (stateless, so they keep working after a restart). Pure.
 */
export function renderCommandReply(raw: CommandReply, at: { page: number; line: string }): ReplyBody {
  // Replies carry what users typed and what chains said: shown as text, never as mentions.
  const reply = neutraliseAll(raw);
  const pages = reply.pages?.length ? reply.pages : [reply];
  const page = Math.min(Math.max(0, at.page), pages.length - 1);
  const shown = pages[page]!;
  const embed: APIEmbed = {
    ...(shown.title ? { title: clip(shown.title, LIMITS.title) } : {}),
    ...(shown.text ? { description: clip(shown.text, LIMITS.description) } : {}),
    color: COLOUR[shown.kind ?? reply.kind ?? 'ok'],
    ...(shown.fields?.length
      ? {
          fields: shown.fields.slice(0, LIMITS.fieldsPerEmbed).map((f) => ({
            name: clip(f.name, LIMITS.fieldName),
            value: clip(f.value || '—', LIMITS.fieldValue),
            ...(f.inline ? { inline: true } : {}),
          })),
        }
      : {}),
  };
  const body: ReplyBody = { embeds: [embed], allowed_mentions: { parse: [] } };
  if (pages.length > 1 && pageButtonFits(at.line)) {
    const button = (p: number, label: string, disabled = false): APIButtonComponent => ({
      type: ComponentType.Button,
      custom_id: encodeButton({ kind: 'page', page: p, line: at.line }),
      label,
      style: ButtonStyle.Secondary,
      ...(disabled ? { disabled: true } : {}),
    });
    const row: APIButtonComponent[] = [];
    if (page > 0) row.push(button(page - 1, '◀ Previous'));
    row.push(button(page, `${page + 1} / ${pages.length}`, true));
    if (page < pages.length - 1) row.push(button(page + 1, 'Next ▶'));
    body.components = [{ type: ComponentType.ActionRow, components: row }];
  }
  if (reply.ephemeral || shown.ephemeral) body.ephemeral = true;
  return body;
}
