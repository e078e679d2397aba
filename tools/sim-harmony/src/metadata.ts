import type { Scenario } from './scenario.ts';

/** One simulated node's state at a moment. */
export interface NodeState {
  name: string;
  shardId: number;
  blskeys: string[];
  mode: string;
  isBackup: boolean;
  answer: 'ok' | 'down' | 'error';
  peerid: string;
  role: string;
}

/**
 * The `result` of hmyv2_getNodeMetadata (same as hmy_getNodeMetadata), with the JSON keys of Harmony's
 * `rpc/harmony/common/types.go` (PROTOCOLS.md §5.2): kebab-case, `blskey` null when no key is loaded.
 */
export function nodeMetadata(
  node: NodeState,
  scenario: Scenario,
  opts: { block: number; startedAtMs: number; nowMs: number },
): Record<string, unknown> {
  const epoch = Math.floor(opts.block / 32_768);
  return {
    blskey: node.blskeys.length ? [...node.blskeys] : null,
    version: 'Harmony (C) 2025. harmony, version v8000-sim (tocsin sim-harmony)',
    network: scenario.network,
    'chain-config': {
      'chain-id': scenario.network === 'mainnet' ? 1 : 2,
      'eth-compatible-chain-id': 1_666_600_000 + node.shardId,
      'eth-compatible-shard-0-chain-id': 1_666_600_000,
      'cross-tx-epoch': 28,
      'cross-link-epoch': 186,
      'staking-epoch': 186,
      'prestaking-epoch': 185,
    },
    'is-leader': false,
    'shard-id': node.shardId,
    'current-block-number': opts.block,
    'current-epoch': epoch,
    ...(node.shardId === 0 ? { 'blocks-per-epoch': 32_768 } : {}),
    role: node.role,
    'dns-zone': 't.hmny.io',
    'is-archival': false,
    'is-backup': node.isBackup,
    'node-unix-start-time': Math.floor(opts.startedAtMs / 1000),
    peerid: node.peerid,
    consensus: {
      viewId: opts.block + 1,
      viewChangeId: opts.block + 1,
      mode: node.mode,
      phase: 'Announce',
      blocknum: opts.block + 1,
      finality: 812,
    },
    'p2p-connectivity': { 'total-known-peers': 412, connected: 180, 'not-connected': 232 },
  };
}
