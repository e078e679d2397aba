import { callService, isRpcError, type RpcService } from '@tocsin/bus';
import type { rpcContracts } from '@tocsin/events';
import type { CommandContext, CommandReply } from '../registry.ts';

type Base = Pick<CommandContext, 'nc' | 'subjects'>;
type Services = typeof rpcContracts;

const LABEL: Record<RpcService, string> = {
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
export function call<S extends RpcService, M extends keyof Services[S] & string>(
  ctx: Base,
  service: S,
  method: M,
  body: Parameters<typeof callService<S, M>>[4],
  timeoutMs?: number,
): ReturnType<typeof callService<S, M>> {
  return callService(ctx.nc, ctx.subjects, service, method, body, timeoutMs);
}

/** A reply for an rpc failure the command does not handle itself. */
export function failureReply(service: RpcService, err: unknown): CommandReply {
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
