import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { serveRpc } from '@tocsin/bus';
import type { rpcContracts, Subjects } from '@tocsin/events';
import type { RunningService } from '@tocsin/runtime';
import type { z } from 'zod';

/** A file holding `content`, mode 600 (as a secret file must be). */
export function secretFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tocsin-console-')), 'token');
  writeFileSync(path, `${content}\n`);
  chmodSync(path, 0o600);
  return path;
}

type Contracts = typeof rpcContracts;
type Contract = { request: z.ZodType; result: z.ZodType };

/**
 * Answers one RPC method on the real NATS with the real serveRpc and the contract's request schema (as the
 * service does), recording each request it validated. The answer is checked against the contract's result.
 */
export function respond<S extends keyof Contracts, M extends keyof Contracts[S] & string>(
  nc: NatsConnection,
  subjects: Subjects,
  contracts: Contracts,
  service: S,
  method: M,
  answer: (
    req: z.output<Extract<Contracts[S][M], Contract>['request']>,
  ) => Promise<z.input<Extract<Contracts[S][M], Contract>['result']>>,
): { requests: unknown[]; sub: Subscription } {
  const c = contracts[service][method] as unknown as Contract;
  const requests: unknown[] = [];
  const sub = serveRpc({
    nc,
    subject: subjects.rpc(service, method),
    schema: c.request,
    queue: service,
    handler: async (req) => {
      requests.push(req);
      return c.result.parse(await answer(req as never));
    },
  });
  return { requests, sub };
}

/** Calls a route in process (fastify's inject). */
export async function api(
  svc: RunningService,
  path: string,
  init: { method?: 'GET' | 'POST' | 'DELETE'; body?: unknown; token?: string | null } = {},
): Promise<{ status: number; body: Record<string, unknown>; type: string }> {
  const { token = null, method = 'GET', body } = init;
  const res = await svc.ctx.http.inject({
    method,
    url: path,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, body: type.includes('json') ? res.json() : { text: res.body }, type };
}
