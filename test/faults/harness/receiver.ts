import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Notification } from '@tocsin/events';

export interface Delivery {
  idempotencyKey: string;
  notification: Notification;
  at: number;
}

/**
 * A webhook receiver that counts: every POST it got (`posts`), and the deliveries a receiver that honours
 * `Idempotency-Key` would act on (`deliveries`, the first POST of each key). `down()` resets every connection, like a
 * host that is off, and `up()` answers again. The port stays bound while it is down: closed, it was taken by another
 * test's server during a 5-minute outage, whose 404s the notifier rightly took as permanent.
 */
export async function startReceiver() {
  const posts: Delivery[] = [];
  const seen = new Set<string>();
  const deliveries: Delivery[] = [];
  const sockets = new Set<Socket>();
  let isDown = false;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const d = {
        idempotencyKey: key,
        notification: JSON.parse(Buffer.concat(chunks).toString()),
        at: Date.now(),
      };
      posts.push(d);
      if (!seen.has(key)) {
        seen.add(key);
        deliveries.push(d);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('connection', (s) => {
    if (isDown) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const resetAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    posts,
    deliveries,
    /** Deliveries of notifications about alerts of a rule (transitions firing/resolved/repeat/...). */
    ofRule(ruleId: string) {
      return deliveries.filter((d) => d.notification.alerts.some((a) => a.rule_id === ruleId));
    },
    async down() {
      isDown = true;
      resetAll();
    },
    async up() {
      isDown = false;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        resetAll();
      }),
  };
}
