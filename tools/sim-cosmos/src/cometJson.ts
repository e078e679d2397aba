import type { ChainModel } from './chainModel.ts';

/** What the CometBFT JSON needs of a chain: its id and its block clock (ChainModel, or another simulator's chain). */
export type BlockSource = Pick<ChainModel, 'chainId' | 'heightAt' | 'blockTimeMsAt'>;

import { fakeHash } from './lightClientStates.ts';

/** CometBFT JSON shapes (snake_case, numbers as strings, hashes as uppercase hex) built from the model. */

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex').toUpperCase();

/** RFC3339 with nanoseconds, as CometBFT prints times. */
export function rfc3339Nanos(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

function validator(chain: BlockSource) {
  return {
    address: hex(fakeHash('validator', chain.chainId).subarray(0, 20)),
    pubKeyB64: Buffer.from(fakeHash('validator-key', chain.chainId)).toString('base64'),
  };
}

export const blockHash = (chain: BlockSource, height: number) =>
  hex(fakeHash('block', chain.chainId, height));
const appHash = (chain: BlockSource, height: number) => hex(fakeHash('app', chain.chainId, height));

export function blockIdJson(chain: BlockSource, height: number) {
  return {
    hash: blockHash(chain, height),
    parts: { total: 1, hash: hex(fakeHash('parts', chain.chainId, height)) },
  };
}

export function blockJson(chain: BlockSource, height: number) {
  const v = validator(chain);
  const timeMs = chain.blockTimeMsAt(height);
  const previous = height > 1 ? blockIdJson(chain, height - 1) : { hash: '', parts: { total: 0, hash: '' } };
  const emptyHash = hex(fakeHash('empty'));
  return {
    header: {
      version: { block: '11', app: '0' },
      chain_id: chain.chainId,
      height: String(height),
      time: rfc3339Nanos(timeMs),
      last_block_id: previous,
      last_commit_hash: hex(fakeHash('commit', chain.chainId, height - 1)),
      data_hash: emptyHash,
      validators_hash: hex(fakeHash('vals', chain.chainId)),
      next_validators_hash: hex(fakeHash('vals', chain.chainId)),
      consensus_hash: hex(fakeHash('consensus-params', chain.chainId)),
      app_hash: appHash(chain, height - 1),
      last_results_hash: emptyHash,
      evidence_hash: emptyHash,
      proposer_address: v.address,
    },
    data: { txs: [] },
    evidence: { evidence: [] },
    last_commit:
      height > 1
        ? {
            height: String(height - 1),
            round: 0,
            block_id: previous,
            signatures: [
              {
                block_id_flag: 2,
                validator_address: v.address,
                timestamp: rfc3339Nanos(timeMs - 1),
                signature: Buffer.from(fakeHash('sig', chain.chainId, height - 1)).toString('base64'),
              },
            ],
          }
        : { height: '0', round: 0, block_id: previous, signatures: [] },
  };
}

export function statusJson(chain: BlockSource, nowMs: number) {
  const height = chain.heightAt(nowMs);
  const v = validator(chain);
  return {
    node_info: {
      protocol_version: { p2p: '8', block: '11', app: '0' },
      id: Buffer.from(fakeHash('node', chain.chainId).subarray(0, 20)).toString('hex'),
      listen_addr: 'tcp://0.0.0.0:26656',
      network: chain.chainId,
      // cosmjs picks its Comet38 client from this version (0.38.x works from cosmjs 0.32 on).
      version: '0.38.17',
      channels: '40202122233038606100',
      moniker: `tocsin-sim-${chain.chainId}`,
      other: { tx_index: 'on', rpc_address: 'tcp://0.0.0.0:26657' },
    },
    sync_info: {
      latest_block_hash: blockHash(chain, height),
      latest_app_hash: appHash(chain, height),
      latest_block_height: String(height),
      latest_block_time: rfc3339Nanos(chain.blockTimeMsAt(height)),
      earliest_block_hash: blockHash(chain, 1),
      earliest_app_hash: appHash(chain, 1),
      earliest_block_height: '1',
      earliest_block_time: rfc3339Nanos(chain.blockTimeMsAt(1)),
      catching_up: false,
    },
    validator_info: {
      address: v.address,
      pub_key: { type: 'tendermint/PubKeyEd25519', value: v.pubKeyB64 },
      voting_power: '10',
    },
  };
}
