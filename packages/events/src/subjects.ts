/**
 * Subject and stream names. Everything lives under one prefix (default `tocsin`) so that several deployments,
 * or several test files, can share one NATS without crosstalk.
 */
export const DEFAULT_PREFIX = 'tocsin';

const TOKEN = /^[a-z0-9][a-z0-9_-]*$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function assertToken(kind: string, value: string): string {
  if (!TOKEN.test(value)) {
    throw new Error(
      `${kind} "${value}" is not a valid subject token (lowercase letters, digits, "_" and "-")`,
    );
  }
  return value;
}

export function resolvePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.TOCSIN_SUBJECT_PREFIX?.trim() || DEFAULT_PREFIX;
  if (!PREFIX.test(prefix)) throw new Error(`TOCSIN_SUBJECT_PREFIX "${prefix}" is not a valid subject token`);
  return prefix;
}

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The highest of these severities (`info` for none). */
export function maxSeverity(list: readonly Severity[]): Severity {
  let best = 0;
  for (const s of list) best = Math.max(best, SEVERITIES.indexOf(s));
  return SEVERITIES[best]!;
}

/** Subject builders for one prefix. */
export function subjects(prefix: string = DEFAULT_PREFIX) {
  if (!PREFIX.test(prefix)) throw new Error(`subject prefix "${prefix}" is not a valid subject token`);
  const upper = prefix.toUpperCase().replace(/-/g, '_');
  return {
    prefix,
    /** `<prefix>.events.<source>.<type>` */
    event: (source: string, type: string) =>
      `${prefix}.events.${assertToken('source', source)}.${assertToken('type', type)}`,
    /** Every event, or every event of one source. */
    events: (source?: string) =>
      source ? `${prefix}.events.${assertToken('source', source)}.>` : `${prefix}.events.>`,
    /** `<prefix>.alerts.<severity>.<source>` */
    alert: (severity: Severity, source: string) =>
      `${prefix}.alerts.${severity}.${assertToken('source', source)}`,
    alerts: () => `${prefix}.alerts.>`,
    /** Request/reply: `<prefix>.rpc.<service>.<method>` */
    rpc: (service: string, method: string) =>
      `${prefix}.rpc.${assertToken('service', service)}.${assertToken('method', method)}`,
    /** Heartbeats: `<prefix>.health.<service>` */
    health: (service: string) => `${prefix}.health.${assertToken('service', service)}`,
    healthAll: () => `${prefix}.health.>`,
    /** Messages a consumer could not decode or validate, by the stream they came from. */
    deadLetter: (stream: 'events' | 'alerts', consumer: string) =>
      `${prefix}.dlq.${stream}.${assertToken('consumer', consumer)}`,
    deadLetterAll: () => `${prefix}.dlq.>`,
    streams: {
      events: `${upper}_EVENTS`,
      alerts: `${upper}_ALERTS`,
      deadLetter: `${upper}_DLQ`,
    },
  };
}
export type Subjects = ReturnType<typeof subjects>;
