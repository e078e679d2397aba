import { rpc as staticRpc } from '@polkadot/types-support/metadata/static-substrate';
import type { SimBlock } from './chain.ts';
import { type Hex, SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL } from './codec.ts';
import { runtimeVersion, subspaceMetadataHex } from './metadata.ts';
import type { Connection, HeadKind, SimNode } from './node.ts';
import { keysPaged, storageValue } from './storage.ts';

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const SUBSCRIBE: Record<string, HeadKind> = {
  chain_subscribeNewHead: 'new',
  chain_subscribeNewHeads: 'new',
  subscribe_newHead: 'new',
  chain_subscribeAllHeads: 'all',
  chain_subscribeFinalizedHeads: 'finalized',
  chain_subscribeFinalisedHeads: 'finalized',
};
const UNSUBSCRIBE = new Set([
  'chain_unsubscribeNewHead',
  'chain_unsubscribeNewHeads',
  'unsubscribe_newHead',
  'chain_unsubscribeAllHeads',
  'chain_unsubscribeFinalizedHeads',
  'chain_unsubscribeFinalisedHeads',
  'state_unsubscribeRuntimeVersion',
  'chain_unsubscribeRuntimeVersion',
  'state_unsubscribeStorage',
]);

/** Methods answered; `rpc_methods` lists them so @polkadot/api decorates them. */
export const SERVED_METHODS = [
  ...Object.keys(SUBSCRIBE),
  ...UNSUBSCRIBE,
  'chain_getBlock',
  'chain_getBlockHash',
  'chain_getHead',
  'chain_getHeader',
  'chain_getFinalizedHead',
  'chain_getFinalisedHead',
  'chain_getRuntimeVersion',
  'chain_subscribeRuntimeVersion',
  'state_getRuntimeVersion',
  'state_subscribeRuntimeVersion',
  'state_getMetadata',
  'state_getStorage',
  'state_getStorageAt',
  'state_queryStorageAt',
  'state_subscribeStorage',
  'state_getKeysPaged',
  'state_getKeysPagedAt',
  'system_chain',
  'system_name',
  'system_version',
  'system_chainType',
  'system_properties',
  'system_health',
  'system_peers',
  'system_syncState',
  'system_localPeerId',
  'system_accountNextIndex',
  'rpc_methods',
].sort();

/** What a node answers about the simulation as a whole. */
export interface ChainInfo {
  chainName: string;
}

const unknownBlock = (hash: unknown) => new RpcError(4003, `Client error: UnknownBlock: ${String(hash)}`);

function blockNumberParam(p: unknown): number {
  if (typeof p === 'number') return p;
  if (typeof p === 'string') return /^0x/i.test(p) ? Number.parseInt(p, 16) : Number(p);
  throw new RpcError(-32602, `Invalid params: block number ${JSON.stringify(p)}`);
}

/** The block `at` names on this node, or its best block when `at` is absent. */
function at(node: SimNode, hash: unknown): SimBlock {
  if (hash === undefined || hash === null) return node.best;
  if (typeof hash !== 'string') throw new RpcError(-32602, 'Invalid params: block hash');
  if (/^0x0{64}$/.test(hash)) return node.tree.genesis;
  const b = node.knows(hash);
  if (!b) throw unknownBlock(hash);
  return b;
}

/** Answers one JSON-RPC call on a node. `conn` is the WebSocket (absent over HTTP: no subscriptions). */
export function callMethod(
  node: SimNode,
  info: ChainInfo,
  conn: Connection | undefined,
  method: string,
  params: unknown[],
): unknown {
  const head = SUBSCRIBE[method];
  if (head || method.includes('subscribe')) {
    if (UNSUBSCRIBE.has(method)) {
      return conn?.subs.delete(String(params[0])) ?? false;
    }
    if (!conn) throw new RpcError(-32601, `${method}: subscriptions need a WebSocket`);
    if (head) return node.subscribe(conn, { kind: 'head', head });
    if (method === 'state_subscribeRuntimeVersion' || method === 'chain_subscribeRuntimeVersion') {
      return node.subscribe(conn, { kind: 'runtimeVersion', lastSpec: node.best.specVersion });
    }
    if (method === 'state_subscribeStorage') {
      const keys = Array.isArray(params[0]) ? params[0].map(String) : [];
      return node.subscribe(conn, { kind: 'storage', keys, last: new Map() });
    }
  }
  switch (method) {
    case 'rpc_methods':
      return { version: 1, methods: SERVED_METHODS };
    case 'system_chain':
      return info.chainName;
    case 'system_name':
      return 'Subspace Node (tocsin sim)';
    case 'system_version':
      return '0.1.0-sim';
    case 'system_chainType':
      return 'Live';
    case 'system_properties':
      return { ss58Format: SS58_PREFIX, tokenDecimals: TOKEN_DECIMALS, tokenSymbol: TOKEN_SYMBOL };
    case 'system_health':
      return { peers: node.opts.peers, isSyncing: false, shouldHavePeers: true };
    case 'system_peers':
      return [];
    case 'system_localPeerId':
      return `12D3KooWSim${node.name}`;
    case 'system_syncState':
      return { startingBlock: 0, currentBlock: node.best.number, highestBlock: node.best.number };
    case 'system_accountNextIndex': {
      const id = node.tree.account(String(params[0])).id;
      return node.best.accounts.get(id)?.nonce ?? 0;
    }
    case 'chain_getBlockHash': {
      const p = params[0];
      if (p === undefined || p === null) return node.best.hash;
      const one = (x: unknown) => node.atHeight(blockNumberParam(x))?.hash ?? null;
      return Array.isArray(p) ? p.map(one) : one(p);
    }
    case 'chain_getHead':
      return node.best.hash;
    case 'chain_getFinalizedHead':
    case 'chain_getFinalisedHead':
      return node.finalized.hash;
    case 'chain_getHeader': {
      const h = params[0];
      return h === undefined || h === null ? node.best.header : (node.knows(String(h))?.header ?? null);
    }
    case 'chain_getBlock': {
      const h = params[0];
      const b = h === undefined || h === null ? node.best : node.knows(String(h));
      return b ? { block: { header: b.header, extrinsics: b.extrinsics }, justifications: null } : null;
    }
    case 'state_getRuntimeVersion':
    case 'chain_getRuntimeVersion':
      return runtimeVersion(at(node, params[0]).specVersion);
    case 'state_getMetadata':
      at(node, params[0]);
      return subspaceMetadataHex();
    case 'state_getStorage':
    case 'state_getStorageAt':
      return storageValue(node.tree, at(node, params[1]), String(params[0]));
    case 'state_queryStorageAt': {
      const b = at(node, params[1]);
      const keys = Array.isArray(params[0]) ? params[0].map(String) : [];
      return [{ block: b.hash, changes: keys.map((k) => [k, storageValue(node.tree, b, k)]) }];
    }
    case 'state_getKeysPaged':
    case 'state_getKeysPagedAt': {
      const b = at(node, params[3]);
      const count = Math.min(Number(params[1] ?? 1000), 1000);
      return keysPaged(b, String(params[0] ?? '0x'), count, params[2] ? String(params[2]) : undefined);
    }
    default:
      throw new RpcError(-32601, `Method not found: ${method}`);
  }
}

/** The methods @polkadot/types-support lists for a full Substrate node (for reference in docs and tests). */
export const SUBSTRATE_METHODS: readonly string[] = staticRpc.methods as string[];

export type { Hex };
