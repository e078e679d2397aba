import { isUlid } from '@tocsin/events';
import { LIMITS } from './limits.ts';

/** An episode id, or `*` (every alert of a grouped message). */
const isEpisode = (s: string) => s === '*' || isUlid(s);

/** What a button does. `episode` is `*` on a grouped message: every alert it shows. */
export type ButtonAction =
  | { kind: 'ack'; episode: string }
  | { kind: 'silence'; hours: 1 | 24; episode: string }
  | { kind: 'resolve'; episode: string }
  | { kind: 'page'; page: number; line: string };

export function encodeButton(a: ButtonAction): string {
  switch (a.kind) {
    case 'ack':
      return `ack:${a.episode}`;
    case 'silence':
      return `sil:${a.hours}h:${a.episode}`;
    case 'resolve':
      return `rs:${a.episode}`;
    case 'page':
      return `pg:${a.page}:${a.line}`;
  }
}

/** A command line fits in a page button only up to Discord's 100-character custom id. */
export function pageButtonFits(line: string): boolean {
  return encodeButton({ kind: 'page', page: 999, line }).length <= LIMITS.customId;
}

export function decodeButton(id: string): ButtonAction | null {
  let m = /^ack:(.+)$/.exec(id);
  if (m && isEpisode(m[1]!)) return { kind: 'ack', episode: m[1]! };
  m = /^rs:(.+)$/.exec(id);
  if (m && isEpisode(m[1]!)) return { kind: 'resolve', episode: m[1]! };
  m = /^sil:(1|24)h:(.+)$/.exec(id);
  if (m && isEpisode(m[2]!)) return { kind: 'silence', hours: Number(m[1]) as 1 | 24, episode: m[2]! };
  m = /^pg:(\d{1,3}):(.+)$/s.exec(id);
  if (m) return { kind: 'page', page: Number(m[1]), line: m[2]! };
  return null;
}
