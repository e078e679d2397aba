import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Chain endpoints no simulator should be: `/endless` answers 200 and then streams a JSON-looking body that never
 * ends; `/html` answers 200 with an HTML error page (a proxy in front of a dead node). Counts requests per path.
 */
export async function startHostileEndpoints() {
  const sockets = new Set<Socket>();
  const requests = new Map<string, number>();
  const chunk = Buffer.alloc(64 * 1024, ' ');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    req.resume();
    if (path.startsWith('/endless')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"jsonrpc":"2.0","id":0,"result":{"response":{"value":"');
      const pump = setInterval(() => {
        if (res.destroyed) clearInterval(pump);
        else res.write(chunk);
      }, 2);
      res.on('close', () => clearInterval(pump));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endlessUrl: `${url}/endless`,
    htmlUrl: `${url}/html`,
    requests: (prefix: string) =>
      [...requests].filter(([p]) => p.startsWith(prefix)).reduce((a, [, n]) => a + n, 0),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      }),
  };
}
