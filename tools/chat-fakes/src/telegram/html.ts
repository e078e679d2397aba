/** A message entity as the Bot API returns it (offsets and lengths in UTF-16 code units). */
export interface TgEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  user?: { id: number; is_bot: boolean; first_name: string };
  language?: string;
}

export class EntityParseError extends Error {}

// The tags Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
const TAG_ENTITY: Record<string, string> = {
  b: 'bold',
  strong: 'bold',
  i: 'italic',
  em: 'italic',
  u: 'underline',
  ins: 'underline',
  s: 'strikethrough',
  strike: 'strikethrough',
  del: 'strikethrough',
  'tg-spoiler': 'spoiler',
  a: 'text_link',
  code: 'code',
  pre: 'pre',
  blockquote: 'blockquote',
  span: 'spoiler',
  'tg-emoji': 'custom_emoji',
};

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

function decodeEntity(src: string, at: number): { char: string; end: number } {
  const m = /^&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/.exec(src.slice(at, at + 12));
  if (!m) return { char: '&', end: at + 1 };
  const body = m[1]!;
  let char: string | undefined;
  if (body.startsWith('#x')) char = String.fromCodePoint(Number.parseInt(body.slice(2), 16));
  else if (body.startsWith('#')) char = String.fromCodePoint(Number.parseInt(body.slice(1), 10));
  else char = NAMED[body];
  // An unknown named entity is kept as text, as Telegram does.
  if (char === undefined) return { char: '&', end: at + 1 };
  return { char, end: at + m[0].length };
}

function attribute(attrs: string, name: string): string | undefined {
  const re = new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i');
  const m = re.exec(attrs);
  if (!m) return undefined;
  return (m[1] ?? m[2] ?? m[3] ?? '').replace(/&(lt|gt|amp|quot);/g, (_, n: string) => NAMED[n]!);
}

/**
 * Parses a text in Telegram's HTML parse mode into plain text and entities, refusing what Telegram refuses
 * (an unknown tag, an unclosed or mismatched tag, a bare `<`) with Telegram's "can't parse entities" error.
 */
export function parseHtml(src: string): { text: string; entities: TgEntity[] } {
  let text = '';
  const entities: TgEntity[] = [];
  const open: { tag: string; offset: number; attrs: string }[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '&') {
      const d = decodeEntity(src, i);
      text += d.char;
      i = d.end;
      continue;
    }
    if (c !== '<') {
      text += c;
      i++;
      continue;
    }
    const close = src.indexOf('>', i);
    if (close < 0) {
      throw new EntityParseError(`Can't find end of the entity starting at byte offset ${i}`);
    }
    const raw = src.slice(i + 1, close);
    const m = /^(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[\s\S]*)?$/.exec(raw);
    if (!m) throw new EntityParseError(`Unsupported start tag "${raw.slice(0, 20)}" at byte offset ${i}`);
    const [, slash, tagRaw, attrs = ''] = m;
    const tag = tagRaw!.toLowerCase();
    if (!(tag in TAG_ENTITY))
      throw new EntityParseError(`Unsupported start tag "${tag}" at byte offset ${i}`);
    if (slash) {
      const top = open.pop();
      if (!top || top.tag !== tag) {
        throw new EntityParseError(`Can't find end tag corresponding to start tag "${top?.tag ?? tag}"`);
      }
      const length = text.length - top.offset;
      if (length > 0) {
        const entity: TgEntity = { type: TAG_ENTITY[tag]!, offset: top.offset, length };
        if (tag === 'a') {
          const href = attribute(top.attrs, 'href') ?? '';
          const user = /^tg:\/\/user\?id=(\d+)$/.exec(href);
          if (user) {
            entity.type = 'text_mention';
            entity.user = { id: Number(user[1]), is_bot: false, first_name: `user ${user[1]}` };
          } else entity.url = href;
        }
        if (tag === 'span' && attribute(top.attrs, 'class') !== 'tg-spoiler') {
          throw new EntityParseError('Unsupported start tag "span"');
        }
        entities.push(entity);
      }
    } else {
      open.push({ tag, offset: text.length, attrs });
    }
    i = close + 1;
  }
  if (open.length)
    throw new EntityParseError(`Can't find end tag corresponding to start tag "${open.at(-1)!.tag}"`);
  return {
    text,
    entities: [...entities, ...autoEntities(text, entities)].sort((a, b) => a.offset - b.offset),
  };
}

const inside = (at: number, es: TgEntity[], types: string[]) =>
  es.some((e) => types.includes(e.type) && at >= e.offset && at < e.offset + e.length);

/**
 * What Telegram finds by itself in the text: `@username` mentions (they notify that user), `/commands` and
 * URLs. Not inside code, pre or links.
 */
export function autoEntities(text: string, explicit: TgEntity[] = []): TgEntity[] {
  const out: TgEntity[] = [];
  const skip = ['code', 'pre', 'text_link', 'text_mention'];
  for (const m of text.matchAll(/(^|[^A-Za-z0-9_@])@([A-Za-z][A-Za-z0-9_]{4,31})(?![A-Za-z0-9_])/g)) {
    const at = m.index! + m[1]!.length;
    if (!inside(at, explicit, skip)) out.push({ type: 'mention', offset: at, length: m[2]!.length + 1 });
  }
  for (const m of text.matchAll(/(^|\s)\/([A-Za-z0-9_]{1,32})(@[A-Za-z0-9_]{5,32})?(?![A-Za-z0-9_])/g)) {
    const at = m.index! + m[1]!.length;
    if (!inside(at, explicit, skip)) {
      out.push({ type: 'bot_command', offset: at, length: m[0].length - m[1]!.length });
    }
  }
  for (const m of text.matchAll(/https?:\/\/[^\s<>"]+/g)) {
    if (!inside(m.index!, explicit, skip)) out.push({ type: 'url', offset: m.index!, length: m[0].length });
  }
  return out;
}
