import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { formatIssues, rpcContracts, type Subjects } from '@tocsin/events';
import type { z } from 'zod';
import { parseJson } from './decoders.ts';
import { type Log, silentLog } from './log.ts';

export type RpcReply<R> =
  | { ok: true; result: R }
  | { ok: false; error: { code: string; message: string; issues?: string[] } };

/** An error a handler throws to answer with a specific code (e.g. forbidden, not_found). */
/** An RPC failure; `code` is the reply's code (bad_request, not_found, forbidden, unavailable, internal). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: string,
    message: string,
    readonly issues?: string[],
  ) {
    super(message);
  }
}

/** Whether `err` is an RpcError (with that reply code, when given). */
export function isRpcError(err: unknown, code?: string): err is RpcError {
  return err instanceof RpcError && (code === undefined || err.code === code);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface ServeRpcOptions<S extends z.ZodType, R> {
  nc: NatsConnection;
  subject: string;
  schema: S;
  handler(req: z.output<S>): Promise<R>;
  /** Replicas in one queue group answer each request once. */
  queue?: string;
  log?: Log;
}

/** Serves `<prefix>.rpc.<service>.<method>`: requests are validated, answers are `{ok, result|error}`. */
export function serveRpc<S extends z.ZodType, R>(opts: ServeRpcOptions<S, R>): Subscription {
  const log = opts.log ?? silentLog;
  return opts.nc.subscribe(opts.subject, {
    queue: opts.queue ?? 'rpc',
    callback: (err, msg) => {
      if (err) {
        log.error({ err: String(err), subject: opts.subject }, 'rpc subscription error');
        return;
      }
      const respond = (reply: RpcReply<R>) => {
        if (msg.reply) msg.respond(enc.encode(JSON.stringify(reply)));
      };
      const body = msg.data.length ? parseJson(msg.data) : { ok: true as const, value: {} };
      if (!body.ok) {
        const message = body.issues.some((i) => i.includes('not JSON'))
          ? 'request is not JSON'
          : body.issues.join('; ');
        respond({ ok: false, error: { code: 'bad_request', message, issues: body.issues } });
        return;
      }
      const parsed = opts.schema.safeParse(body.value);
      if (!parsed.success) {
        const issues = formatIssues(parsed.error.issues);
        respond({ ok: false, error: { code: 'bad_request', message: issues.join('; '), issues } });
        return;
      }
      opts.handler(parsed.data).then(
        (result) => respond({ ok: true, result }),
        (e: unknown) => {
          if (e instanceof RpcError) {
            respond({
              ok: false,
              error: { code: e.code, message: e.message, ...(e.issues ? { issues: e.issues } : {}) },
            });
          } else {
            log.error({ err: String(e), subject: opts.subject }, 'rpc handler failed');
            respond({ ok: false, error: { code: 'internal', message: 'internal error' } });
          }
        },
      );
    },
  });
}

/** Calls an rpc method; throws RpcError with the server's code on `{ok:false}` or `unavailable` on no answer. */
export async function callRpc<R = unknown>(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  timeoutMs = 5000,
): Promise<R> {
  let raw: Uint8Array;
  try {
    raw = (await nc.request(subject, enc.encode(JSON.stringify(body)), { timeout: timeoutMs })).data;
  } catch (err) {
    throw new RpcError('unavailable', `no answer from ${subject}: ${(err as Error).message}`);
  }
  const reply = JSON.parse(dec.decode(raw)) as RpcReply<R>;
  if (!reply.ok) throw new RpcError(reply.error.code, reply.error.message, reply.error.issues);
  return reply.result;
}

type Contract = { request: z.ZodType; result: z.ZodType };
type Contracts = typeof rpcContracts;
/** A service that answers RPC (`<prefix>.rpc.<service>.<method>`), as named in the contract. */
export type RpcService = keyof Contracts;
type ContractOf<S extends RpcService, M extends keyof Contracts[S]> = Extract<Contracts[S][M], Contract>;

/**
 * Calls a service's RPC method and decodes the answer with the shared contract (`rpcContracts` of
 * @tocsin/events), so a caller only ever sees well-formed results. Errors are `RpcError` (bad_request, not_found,
 * forbidden, `unavailable` when nobody answers within `timeoutMs`, `internal` for an answer of the wrong shape).
 */
export async function callService<S extends RpcService, M extends keyof Contracts[S] & string>(
  nc: NatsConnection,
  subjects: Subjects,
  service: S,
  method: M,
  body: z.input<ContractOf<S, M>['request']>,
  timeoutMs?: number,
): Promise<z.output<ContractOf<S, M>['result']>> {
  const contract = rpcContracts[service][method as keyof Contracts[S]] as unknown as Contract;
  const raw = await callRpc(nc, subjects.rpc(service, method), body, timeoutMs);
  const parsed = contract.result.safeParse(raw);
  if (!parsed.success) throw new RpcError('internal', `${service}.${method} answered in an unexpected shape`);
  return parsed.data as z.output<ContractOf<S, M>['result']>;
}
