import { seededRandom } from '@tocsin/sim-cosmos';

// The answers malformedAnswers.test.ts starts from before it damages them.

/** Seeded: every run damages the answers the same way. */
export const rand = seededRandom(42);
export const int = (n: number) => Math.floor(rand() * n);
export const bytes = (max: number) => Uint8Array.from({ length: int(max) }, () => int(256));
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/** A good `status` result of a cosmoshub-4 node. */
export const STATUS = {
  node_info: {
    protocol_version: { p2p: '8', block: '11', app: '0' },
    id: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    listen_addr: 'tcp://0.0.0.0:26656',
    network: 'cosmoshub-4',
    version: '0.38.17',
    channels: '40202122233038606100',
    moniker: 'node-1',
    other: { tx_index: 'on', rpc_address: 'tcp://0.0.0.0:26657' },
  },
  sync_info: {
    latest_block_hash: 'AB'.repeat(32),
    latest_app_hash: 'cd'.repeat(32),
    latest_block_height: '25000000',
    latest_block_time: '2026-11-21T12:00:00.123456789Z',
    earliest_block_hash: '01'.repeat(32),
    earliest_app_hash: '02'.repeat(32),
    earliest_block_height: '1',
    earliest_block_time: '2019-12-11T16:11:34Z',
    catching_up: false,
  },
  validator_info: {
    address: 'EF'.repeat(20),
    pub_key: { type: 'tendermint/PubKeyEd25519', value: 'zQmTUyYkR0Tb8cT0y6P/tW4cFhy6UL4PCzE12sOgGgk=' },
    voting_power: '10',
  },
};

/** An abci_query result with `value` as the answer bytes. */
export const abci = (value: Uint8Array, over: Record<string, unknown> = {}) => ({
  response: {
    code: 0,
    log: '',
    info: '',
    index: '0',
    key: null,
    value: b64(value),
    proofOps: null,
    height: '25000000',
    codespace: '',
    ...over,
  },
});
