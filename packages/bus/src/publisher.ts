import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  registry as defaultRegistry,
  type EventDefinition,
  type EventEnvelope,
  type EventRegistry,
  formatIssues,
  mayHaveBadText,
  type Notification,
  newId,
  notification,
  type Subjects,
  textIssues,
} from '@tocsin/events';
import type { z } from 'zod';
import { EventValidationError } from './errors.ts';
import { StreamPublisher } from './streamPublish.ts';

export interface PublishInput<D> {
  chain_id: string;
  dedup_key: string;
  data: D;
  observed_at?: Date;
}

export interface PublishResult {
  seq: number;
  /** True when the stream already held a message with the same Nats-Msg-Id (it was not stored again). */
  duplicate: boolean;
  event: EventEnvelope;
}

export interface Publisher {
  publish<S extends z.ZodType>(
    def: EventDefinition<S>,
    input: PublishInput<z.input<S>>,
  ): Promise<PublishResult>;
  /** Publishes an already built envelope (replays, user tooling); validated the same way. */
  publishEnvelope(event: unknown): Promise<PublishResult>;
  /**
   * Publishes a notification, parsed against the schema first, unless `built` says the caller built it itself from
   * the schema's types (the alerter's flush: its tests pin that what it builds is what the schema parses it to);
   * its text is checked either way (NUL, lone surrogates).
   */
  publishNotification(
    n: Notification,
    opts?: {
      built?: boolean;
      /** With `built`: the notification's JSON, serialized by the caller already (published as it is). */
      json?: string;
    },
  ): Promise<{ seq: number; duplicate: boolean }>;
  readonly js: JetStreamClient;
}

export interface PublisherOptions {
  nc: NatsConnection;
  subjects: Subjects;
  /** Which ingestor instance this is; goes into every envelope. */
  instance: string;
  registry?: EventRegistry;
  now?: () => number;
}

/**
 * The Nats-Msg-Id: the same fact seen by two instances gets the same id, so JetStream stores it once within the
 * stream's duplicate window. Namespaced by source and type, since a dedup_key is only unique within its type.
 */
export function messageId(e: Pick<EventEnvelope, 'source' | 'type' | 'dedup_key'>): string {
  return `${e.source}.${e.type}:${e.dedup_key}`;
}

/**
 * Serializes a message (or takes its JSON, `json`, already serialized), refusing strings that break the contract's
 * text policy (NUL, lone surrogates).
 */
function serialize(value: unknown, what: string, json = JSON.stringify(value)): string {
  if (mayHaveBadText(json)) {
    const issues = textIssues(value);
    if (issues.length) throw new EventValidationError(issues, what);
  }
  return json;
}

export function createPublisher(opts: PublisherOptions): Publisher {
  const js = jetstream(opts.nc);
  const stream = new StreamPublisher(opts.nc);
  const reg = opts.registry ?? defaultRegistry;
  const now = opts.now ?? Date.now;

  async function send(event: EventEnvelope): Promise<PublishResult> {
    const ack = await stream.publish(
      opts.subjects.event(event.source, event.type),
      serialize(event, 'event'),
      messageId(event),
    );
    return { seq: ack.seq, duplicate: ack.duplicate, event };
  }

  return {
    js,
    async publish(def, input) {
      const t = input.observed_at?.getTime() ?? now();
      const candidate = {
        id: newId(t),
        source: def.source,
        type: def.type,
        version: def.version,
        chain_id: input.chain_id,
        instance: opts.instance,
        observed_at: new Date(t).toISOString(),
        dedup_key: input.dedup_key,
        data: input.data,
      };
      // The envelope fields built here are valid by construction; check what the caller supplied.
      const issues: string[] = [];
      if (!input.chain_id || input.chain_id.length > 128) issues.push('chain_id: must be 1-128 characters');
      if (!input.dedup_key || input.dedup_key.length > 512)
        issues.push('dedup_key: must be 1-512 characters');
      const data = def.data.safeParse(input.data);
      if (!data.success) issues.push(...formatIssues(data.error.issues, 'data'));
      if (issues.length) throw new EventValidationError(issues);
      return send({ ...candidate, data: data.data as Record<string, unknown> });
    },
    async publishEnvelope(event) {
      const result = reg.validate(event);
      if (!result.ok) throw new EventValidationError(result.issues);
      return send(result.event);
    },
    async publishNotification(n, o) {
      let value = n;
      if (!o?.built) {
        const parsed = notification.safeParse(n);
        if (!parsed.success)
          throw new EventValidationError(formatIssues(parsed.error.issues), 'notification');
        value = parsed.data;
      }
      const ack = await stream.publish(
        opts.subjects.alert(n.severity, n.source),
        serialize(value, 'notification', o?.built && o.json !== undefined ? o.json : undefined),
        `notification:${n.key}`,
      );
      return { seq: ack.seq, duplicate: ack.duplicate };
    },
  };
}
