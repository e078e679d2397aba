import type { ServerResponse } from 'node:http';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { notification, type Subjects } from '@tocsin/events';
import type { Logger } from '@tocsin/runtime';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

const dec = new TextDecoder();
/** Bytes a live-stream client may leave unread before it is closed. */
const MAX_BUFFERED = 1 << 20;

/**
 * Live alerts for the dashboard: one core-NATS subscription on `<prefix>.alerts.>` (every notification the
 * alerter publishes), fanned out as Server-Sent Events (`event: alert`, data = the Alert) to every open stream.
 * A comment line keeps idle streams open through proxies; stop() ends every stream cleanly.
 */
export class AlertStream {
  readonly #clients = new Set<ServerResponse>();
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: { nc: NatsConnection; subjects: Subjects; log: Logger; heartbeatMs: number },
  ) {}

  get clients(): number {
    return this.#clients.size;
  }

  start(): void {
    this.#sub = this.opts.nc.subscribe(this.opts.subjects.alerts(), {
      callback: (err, msg) => {
        if (err) return;
        let body: unknown;
        try {
          body = JSON.parse(dec.decode(msg.data));
        } catch {
          return;
        }
        const n = notification.safeParse(body);
        if (!n.success) {
          this.opts.log.debug({ subject: msg.subject }, 'not a notification; not streamed');
          return;
        }
        for (const a of n.data.alerts)
          this.#send(`id: ${n.data.id}\nevent: alert\ndata: ${JSON.stringify(a)}\n\n`);
      },
    });
    this.#timer = setInterval(() => this.#send(': heartbeat\n\n'), this.opts.heartbeatMs);
    this.#timer.unref();
  }

  /** Takes over a response as an event stream until the client goes away or the console stops. */
  open(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n: connected\n\n');
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
  }

  #send(chunk: string): void {
    for (const c of this.#clients) {
      // A client that does not read (stalled tab, dead proxy) is let go instead of buffering without end; its
      // EventSource reconnects and reloads the list.
      if (c.writableLength > MAX_BUFFERED) {
        this.opts.log.warn({ buffered: c.writableLength }, 'live stream client not reading; closed');
        this.#clients.delete(c);
        c.end();
        continue;
      }
      c.write(chunk);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#sub?.unsubscribe();
    for (const c of this.#clients) c.end();
    this.#clients.clear();
  }
}

export const streamRoute =
  (stream: AlertStream): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/stream',
      {
        schema: {
          tags: ['alerts'],
          summary: 'Live alerts (Server-Sent Events)',
          description:
            'text/event-stream: `event: alert` with an Alert as data on every change the alerter publishes; ' +
            'comment lines as heartbeats. Reconnect on close (the stream sends `retry: 3000`).',
        },
      },
      async (req, reply) => {
        reply.hijack();
        stream.open(reply.raw);
        req.raw.on('close', () => reply.raw.end());
      },
    );
  };
