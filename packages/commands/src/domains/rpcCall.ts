import { callRpc, isRpcError, RpcError } from '@tocsin/bus';
import { alerterRpc, cosmosIbcRpc, harmonySignersRpc, icsCcvRpc, subspaceBlocksRpc } from '@tocsin/events';
import type { z } from 'zod';
import type { CommandContext, CommandReply } from '../registry.ts';

type Contract = { request: z.ZodType; result: z.ZodType };
type Base = Pick<CommandContext, 'nc' | 'subjects'>;

const SERVICES = {
  alerter: alerterRpc,
  'cosmos-ibc': cosmosIbcRpc,
  'ics-ccv': icsCcvRpc,
  'subspace-blocks': subspaceBlocksRpc,
  'harmony-signers': harmonySignersRpc,
} as const;
type Services = typeof SERVICES;

const LABEL: Record<keyof Services, string> = {
  alerter: 'The alerter',
  'cosmos-ibc': 'The cosmos-ibc ingestor',
  'ics-ccv': 'The ics-ccv ingestor',
  'subspace-blocks': 'The subspace-blocks ingestor',
  'harmony-signers': 'The harmony-signers service',
};

/**
 * Calls `<prefix>.rpc.<service>.<method>` and decodes the answer with the shared contract, so a command only
 * ever sees well-formed results. Errors stay `RpcError` (code: bad_request, not_found, forbidden, unavailable).
 */
export async function call<S extends keyof Services, M extends keyof Services[S] & string>(
  ctx: Base,
  service: S,
  method: M,
  body: z.input<Extract<Services[S][M], Contract>['request']>,
  timeoutMs?: number,
): Promise<z.output<Extract<Services[S][M], Contract>['result']>> {
  const contract = SERVICES[service][method as keyof Services[S]] as unknown as Contract;
  const raw = await callRpc(ctx.nc, ctx.subjects.rpc(service, method), body, timeoutMs);
  const parsed = contract.result.safeParse(raw);
  if (!parsed.success) {
    throw new RpcError('internal', `${service}.${method} answered in an unexpected shape`);
  }
  return parsed.data as z.output<Extract<Services[S][M], Contract>['result']>;
}

/** A reply for an rpc failure the command does not handle itself. */
export function failureReply(service: keyof Services, err: unknown): CommandReply {
  if (isRpcError(err)) {
    if (err.code === 'unavailable') {
      return {
        title: 'Not available',
        text: `${LABEL[service]} is not answering right now. Try again in a minute.`,
        kind: 'error',
        ephemeral: true,
      };
    }
    return { title: 'Refused', text: err.message, kind: 'error', ephemeral: true };
  }
  return { title: 'Command failed', text: (err as Error).message, kind: 'error', ephemeral: true };
}
