import type { NatsConnection } from '@nats-io/transport-node';
import { callService, type RpcService } from '@tocsin/bus';
import type { rpcContracts, Subjects } from '@tocsin/events';
import type { z } from 'zod';
import { serviceError } from './errors.ts';

type Contracts = typeof rpcContracts;
type Contract = { request: z.ZodType; result: z.ZodType };
type C<S extends RpcService, M extends keyof Contracts[S]> = Extract<Contracts[S][M], Contract>;

/** Calls a service over NATS with the shared contract; a failure becomes a ServiceCallError naming the service. */
export type Call = <S extends RpcService, M extends keyof Contracts[S] & string>(
  service: S,
  method: M,
  body: z.input<C<S, M>['request']>,
) => Promise<z.output<C<S, M>['result']>>;

export function createCall(nc: NatsConnection, subjects: Subjects, timeoutMs: number): Call {
  return async (service, method, body) => {
    try {
      return await callService(nc, subjects, service, method, body, timeoutMs);
    } catch (err) {
      throw serviceError(service, err, timeoutMs);
    }
  };
}
