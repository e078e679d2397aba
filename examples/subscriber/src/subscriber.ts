import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type EventEnvelope, eventEnvelope, notification, registry, subjects } from '@tocsin/events';

export interface SubscriberOptions {
  nc: NatsConnection;
  /** The deployment's subject prefix (TOCSIN_SUBJECT_PREFIX, default `tocsin`). */
  prefix: string;
  /** This subscriber's durable consumer names: it resumes where it stopped after a restart. */
  durable: string;
  print: (line: string) => void;
  signal: AbortSignal;
}

/** A readable line for an event: the envelope is what every subscriber may rely on, `data` is per (source, type). */
function eventLine(e: EventEnvelope, known: boolean): string {
  const data = JSON.stringify(e.data);
  return `event ${e.source}.${e.type} v${e.version} ${e.chain_id} ${e.observed_at}${known ? '' : ' (type unknown to this contract version)'} ${data.length > 160 ? `${data.slice(0, 159)}…` : data}`;
}

/**
 * Reads `<prefix>.events.>` and `<prefix>.alerts.>` through durable JetStream consumers of its own (so nothing is
 * missed while it is down, and it never takes messages from tocsin's services), validates each message against the
 * contract, prints it, and acks it.
 */
export async function runSubscriber(o: SubscriberOptions): Promise<void> {
  const subj = subjects(o.prefix);
  const jsm = await jetstreamManager(o.nc);
  const js = jetstream(o.nc);
  const loops = (['events', 'alerts'] as const).map(async (kind) => {
    const stream = subj.streams[kind];
    const durable = `${o.durable}-${kind}`;
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: kind === 'events' ? subj.events() : subj.alerts(),
    });
    const consumer = await js.consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 100 });
    o.signal.addEventListener('abort', () => void messages.close(), { once: true });
    for await (const m of messages) {
      let body: unknown;
      try {
        body = m.json();
      } catch {
        o.print(`skipped: not JSON on ${m.subject}`);
        m.ack();
        continue;
      }
      if (kind === 'events') {
        // A known (source, type) is checked with its schema; a newer one still has a valid envelope.
        const full = registry.validate(body);
        const envelope = full.ok ? full.event : eventEnvelope.safeParse(body).data;
        if (envelope) o.print(eventLine(envelope, full.ok));
        else o.print(`skipped: not an event envelope on ${m.subject}`);
      } else {
        const n = notification.safeParse(body);
        if (n.success)
          for (const a of n.data.alerts)
            o.print(`alert ${n.data.transition} ${a.severity} ${a.rule_id} ${a.chain_id}: ${a.summary}`);
        else o.print(`skipped: not a notification on ${m.subject}`);
      }
      m.ack();
    }
  });
  await Promise.all(loops);
}
