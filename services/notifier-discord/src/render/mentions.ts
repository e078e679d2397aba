import type { Notification } from '@tocsin/events';
import type { DiscordConfig } from '../config.ts';

export interface Mentions {
  users: string[];
  roles: string[];
}

/** Transitions that tag people; resolves, acknowledgements and notices inform without pinging anyone. */
const PINGING = new Set(['firing', 'repeat', 'escalated']);

/** `<@1>`, `<@&2>`, `discord:1`, `user:1`, `role:2` (config) and owners (`discord:1`, `role:2`; others ignored). */
export function parseMention(m: string, target: Mentions, { fromConfig }: { fromConfig: boolean }): void {
  const role = /^(?:<@&(\d+)>|role:(\d+))$/.exec(m);
  if (role) {
    target.roles.push((role[1] ?? role[2])!);
    return;
  }
  // An owner `user:<id>` is not a Discord id (it comes from the CLI); in config it is one.
  const user = fromConfig ? /^(?:<@!?(\d+)>|(?:discord|user):(\d+))$/.exec(m) : /^discord:(\d+)$/.exec(m);
  if (user) target.users.push((user[1] ?? user[2])!);
}

/** Who a notification tags: the configured mentions for its severity plus the owners it carries. */
export function mentionsFor(n: Notification, configured: DiscordConfig['mentions']): Mentions {
  const out: Mentions = { users: [], roles: [] };
  // A subscriber's digest tags its owner only (not the configured mentions).
  if (n.digest) {
    parseMention(n.digest.owner, out, { fromConfig: false });
    return out;
  }
  if (!PINGING.has(n.transition)) return out;
  const fromConfig = Array.isArray(configured) ? configured : (configured[n.severity] ?? []);
  for (const m of fromConfig) parseMention(m, out, { fromConfig: true });
  for (const owner of [...n.mentions, ...n.alerts.flatMap((a) => a.mentions)]) {
    parseMention(owner, out, { fromConfig: false });
  }
  return { users: [...new Set(out.users)], roles: [...new Set(out.roles)] };
}

export function mergeMentions(list: Mentions[]): Mentions {
  return {
    users: [...new Set(list.flatMap((m) => m.users))],
    roles: [...new Set(list.flatMap((m) => m.roles))],
  };
}

/** An owner as Discord shows it: `discord:1` → `<@1>` (rendered as the name, never a ping inside an embed). */
export function ownerLabel(owner: string): string {
  const m = /^discord:(\d+)$/.exec(owner);
  if (m) return `<@${m[1]}>`;
  const r = /^role:(\d+)$/.exec(owner);
  return r ? `<@&${r[1]}>` : owner;
}
