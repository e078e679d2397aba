import {
  type EventEnvelope,
  type EventRegistry,
  formatIssues,
  mayHaveBadText,
  type Notification,
  notification,
  registry,
  textIssues,
} from '@tocsin/events';
import type { Decoded } from './consumer.ts';

const dec = new TextDecoder('utf-8', { fatal: true });

/** JSON in UTF-8 whose strings follow the contract's text policy (valid Unicode, no NUL). */
export function parseJson(raw: Uint8Array): Decoded<unknown> {
  let text: string;
  try {
    text = dec.decode(raw);
  } catch {
    return { ok: false, issues: ['(root): not valid UTF-8'] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, issues: [`(root): not JSON (${(err as Error).message})`] };
  }
  if (mayHaveBadText(text)) {
    const issues = textIssues(value);
    if (issues.length) return { ok: false, issues };
  }
  return { ok: true, value };
}

/**
 * An event is published on `<prefix>.events.<source>.<type>`: a message whose envelope names another source or
 * type (a subscriber filtering by subject would file it under the wrong one) is refused. Returns the issue, or null.
 */
export function subjectIssue(subject: string, e: { source: string; type: string }): string | null {
  const tokens = subject.split('.');
  const n = tokens.length;
  if (n >= 3 && tokens[n - 3] === 'events' && tokens[n - 2] === e.source && tokens[n - 1] === e.type)
    return null;
  return `(subject): ${subject} does not agree with the envelope's source/type ${e.source}.${e.type} (expected <prefix>.events.${e.source}.${e.type})`;
}

/**
 * Decoder for the events stream: JSON, then the envelope and (for known types) the data schema, then (given the
 * subject) that the subject agrees with the envelope's source and type.
 */
export function decodeEvent(reg: EventRegistry = registry) {
  return (raw: Uint8Array, subject?: string): Decoded<EventEnvelope> => {
    const json = parseJson(raw);
    if (!json.ok) return json;
    const r = reg.validate(json.value);
    if (!r.ok) return { ok: false, issues: r.issues };
    const issue = subject === undefined ? null : subjectIssue(subject, r.event);
    return issue ? { ok: false, issues: [issue] } : { ok: true, value: r.event };
  };
}

/** Decoder for the alerts stream. */
export function decodeNotification(raw: Uint8Array): Decoded<Notification> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const r = notification.safeParse(json.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: formatIssues(r.error.issues) };
}
