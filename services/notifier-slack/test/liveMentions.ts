/** Slack's special syntax that pings or links someone: `<!channel>`, `<!here>`, `<!subteam^…>`, `<@U…>`, `<#C…>`. */
const LIVE = /<([!@#][^>]*)>/g;

/**
 * Every live mention token in the text of a Slack message or response (all strings in it, blocks included),
 * except Slack's `<!date^…>` formatting. Skipped: `plain_text` objects (Slack shows them as they are, never as
 * mentions) and buttons (their values are not shown). Also fails on a mrkdwn text object without
 * `verbatim: true`, where Slack would parse a bare `@here` itself.
 */
export function liveMentions(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(LIVE)) if (!m[1]!.startsWith('!date^')) found.push(m[0]);
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'plain_text' || o.type === 'button') return;
      if (o.type === 'mrkdwn' && o.verbatim !== true)
        found.push(`(mrkdwn without verbatim: ${String(o.text)})`);
      Object.values(o).forEach(walk);
    }
  };
  walk(value);
  return found;
}

/** Hostile strings as users and chains can send them. */
export const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S0EVIL>',
  '<@U0EVE>',
  '<#C0SECRET>',
  '<!here|here>',
  '<https://evil.example|click>',
  '@channel',
  '@here',
  '&lt;!channel&gt;',
];
