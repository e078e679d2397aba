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

/** Decoder for the events stream: JSON, then the envelope and (for known types) the data schema. */
export function decodeEvent(reg: EventRegistry = registry) {
  return (raw: Uint8Array): Decoded<EventEnvelope> => {
    const json = parseJson(raw);
    if (!json.ok) return json;
    const r = reg.validate(json.value);
    return r.ok ? { ok: true, value: r.event } : { ok: false, issues: r.issues };
  };
}

/** Decoder for the alerts stream. */
export function decodeNotification(raw: Uint8Array): Decoded<Notification> {
  const json = parseJson(raw);
  if (!json.ok) return json;
  const r = notification.safeParse(json.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: formatIssues(r.error.issues) };
}
