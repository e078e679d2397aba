/**
 * The one place that decides how a URL is shown (logs, events, chat, startup summaries): user info and the values of
 * query parameters are replaced, so `https://user:pw@rpc.example/?apikey=k` shows as
 * `https://***:***@rpc.example/?apikey=***`. Anything that is not a URL is returned unchanged; a comma-separated list
 * (NATS server lists) is redacted item by item.
 */
const MASK = '***';

export function redactUrl(value: string): string {
  if (value.includes(','))
    return value
      .split(',')
      .map((part) => redactOne(part))
      .join(',');
  return redactOne(value);
}

function redactOne(value: string): string {
  const trimmed = value.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return value;
  }
  if (!url.host) return value;
  let changed = false;
  if (url.username) {
    url.username = MASK;
    changed = true;
  }
  if (url.password) {
    url.password = MASK;
    changed = true;
  }
  if (url.search) {
    const params = new URLSearchParams(url.search);
    const masked = new URLSearchParams();
    for (const [k] of params) masked.append(k, MASK);
    url.search = masked.toString().replaceAll('%2A', '*');
    changed = true;
  }
  if (!changed) return value;
  return value.replace(trimmed, url.toString());
}

/** Redacts every URL found in a free text (an error message that quotes the URL it failed on). */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (m) => redactOne(m));
}
