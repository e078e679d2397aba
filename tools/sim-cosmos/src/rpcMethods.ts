import { runAbciQuery } from './abciRoutes.ts';
import type { ChainModel } from './chainModel.ts';
import { blockIdJson, blockJson, statusJson } from './cometJson.ts';
import { GARBAGE_PROTOBUF } from './faults.ts';

export type RpcId = string | number | null;

export interface RpcRequest {
  id: RpcId;
  method: string;
  params: unknown;
}

export type RpcResponse =
  | { jsonrpc: '2.0'; id: RpcId; result: unknown }
  | { jsonrpc: '2.0'; id: RpcId; error: { code: number; message: string; data?: string } };

export const rpcResult = (id: RpcId, result: unknown): RpcResponse => ({ jsonrpc: '2.0', id, result });

export const rpcError = (id: RpcId, code: number, message: string, data?: string): RpcResponse => ({
  jsonrpc: '2.0',
  id,
  error: data === undefined ? { code, message } : { code, message, data },
});

/** CometBFT reports handler failures as -32603 with the reason in `data`. */
const internalError = (id: RpcId, data: string) => rpcError(id, -32603, 'Internal error', data);

/** Decodes one JSON-RPC 2.0 request object at the edge; anything malformed is a -32600. */
export function decodeRpcRequest(raw: unknown): RpcRequest | RpcResponse {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return rpcError(null, -32600, 'Invalid Request', 'expected a JSON-RPC 2.0 object');
  }
  const r = raw as Record<string, unknown>;
  const id = typeof r.id === 'string' || typeof r.id === 'number' ? r.id : null;
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string') {
    return rpcError(id, -32600, 'Invalid Request', 'jsonrpc must be "2.0" and method a string');
  }
  return { id, method: r.method, params: r.params ?? {} };
}

/** Named params (cosmjs) or positional ones (the JSON-RPC array form CometBFT also accepts). */
function param(params: unknown, name: string, position: number): unknown {
  if (Array.isArray(params)) return params[position];
  if (typeof params === 'object' && params !== null) return (params as Record<string, unknown>)[name];
  return undefined;
}

function optionalHeight(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '' || value === 0 || value === '0') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`invalid height ${JSON.stringify(value)}`);
  return n;
}

export interface CallContext {
  chain: ChainModel;
  nowMs: number;
  /** The `garbage` fault: abci_query answers code 0 with bytes no protobuf decoder accepts. */
  garbage: boolean;
}

/** One JSON-RPC call against a chain. Subscriptions are the WebSocket layer's business, not handled here. */
export function callRpcMethod(req: RpcRequest, ctx: CallContext): RpcResponse {
  const latest = ctx.chain.heightAt(ctx.nowMs);
  try {
    switch (req.method) {
      case 'status':
        return rpcResult(req.id, statusJson(ctx.chain, ctx.nowMs));
      case 'health':
        return rpcResult(req.id, {});
      case 'abci_info':
        return rpcResult(req.id, {
          response: {
            data: 'tocsin-sim',
            version: '0.50.0',
            last_block_height: String(latest),
            last_block_app_hash: Buffer.from(blockIdJson(ctx.chain, latest).hash, 'hex').toString('base64'),
          },
        });
      case 'block': {
        const height = optionalHeight(param(req.params, 'height', 0)) ?? latest;
        if (height > latest) {
          return internalError(
            req.id,
            `height ${height} must be less than or equal to the current blockchain height ${latest}`,
          );
        }
        return rpcResult(req.id, {
          block_id: blockIdJson(ctx.chain, height),
          block: blockJson(ctx.chain, height),
        });
      }
      case 'abci_query':
        return rpcResult(req.id, { response: abciQuery(req.params, latest, ctx) });
      default:
        return rpcError(req.id, -32601, 'Method not found');
    }
  } catch (err) {
    return internalError(req.id, (err as Error).message);
  }
}

function abciQuery(params: unknown, latest: number, ctx: CallContext) {
  const path = String(param(params, 'path', 0) ?? '');
  const dataHex = String(param(params, 'data', 1) ?? '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(dataHex)) throw new Error('data must be hex');
  const requested = optionalHeight(param(params, 'height', 2));
  // A real node answers every query "at" a non-zero height; cosmjs refuses a response without one.
  const response = { index: '0', key: null, proofOps: null, info: '', height: String(requested ?? latest) };
  if (requested !== undefined && requested > latest) {
    return {
      ...response,
      code: 26,
      log: `failed to load state at height ${requested}; (latest height: ${latest}): invalid height`,
      value: null,
      codespace: 'sdk',
    };
  }
  if (ctx.garbage) {
    return {
      ...response,
      code: 0,
      log: '',
      value: Buffer.from(GARBAGE_PROTOBUF).toString('base64'),
      codespace: '',
    };
  }
  const result = runAbciQuery(path, Buffer.from(dataHex, 'hex'), {
    chain: ctx.chain,
    nowMs: ctx.nowMs,
    height: requested ?? latest,
  });
  return {
    ...response,
    code: result.code,
    log: result.log,
    value: result.value.length ? Buffer.from(result.value).toString('base64') : null,
    codespace: result.codespace,
  };
}
