import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `vite build` writes the dashboard. */
export const defaultWebDir = resolve(fileURLToPath(new URL('../web/dist', import.meta.url)));

/** How to build the dashboard, said on `/` when it is not built. */
export const BUILD_HINT = 'pnpm --filter @tocsin/console web:build';

const notBuilt = (dir: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tocsin console</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>tocsin console</h1>
<p>The dashboard is not built yet (no <code>${dir}/index.html</code>). Build it with:</p>
<pre>${BUILD_HINT}</pre>
<p>then reload this page. The API works without it: <a href="/api/docs">/api/docs</a>.</p>
</body></html>`;

/**
 * The dashboard at `/`: the files of the built UI, and index.html for any other GET outside /api (the client's
 * routes). Unknown API routes and other methods answer a JSON 404.
 */
export async function serveWeb(app: FastifyInstance, dir: string): Promise<void> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: dir, prefix: '/', index: ['index.html'] });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const page =
      (req.method === 'GET' || req.method === 'HEAD') && !path.startsWith('/api/') && path !== '/api';
    if (page && built) return reply.type('text/html; charset=utf-8').sendFile('index.html');
    if (page) return reply.type('text/html; charset=utf-8').send(notBuilt(dir));
    return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${path}` });
  });
}
