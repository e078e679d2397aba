import {
  type EventEnvelope,
  type EventRegistry,
  formatIssues,
  type Notification,
  notification,
  registry,
} from '@tocsin/events';
import type { Decoded } from './consumer.ts';

const dec = new TextDecoder();

function parseJson(raw: Uint8Array): Decoded<unknown> {
  try {
    return { ok: true, value: JSON.parse(dec.decode(raw)) };
  } catch (err) {
    return { ok: false, issues: [`(root): not JSON (${(err as Error).message})`] };
  }
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
