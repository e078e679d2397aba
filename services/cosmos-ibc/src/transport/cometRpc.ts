import type { RpcClient } from '@cosmjs/tendermint-rpc';
import type { BinaryWriter } from 'cosmjs-types/binary';

/**
 * The two CometBFT JSON-RPC calls a scan makes, `status` and `abci_query`, straight over our RPC client. They
 * replace cosmjs' CometBFT client and `QueryClient.queryAbci`: the same JSON-RPC calls (ids aside), the same checks
 * on the answers with the same errors (so `classify` sorts failures the same way), without what made a scan of
 * thousands of clients allocate far more than it reads:
 *
 * - cosmjs-types' `BinaryWriter.finish()` builds a fresh buffer pool on every call, so each encoded request got
 *   its own 8 KiB ArrayBuffer (15,000 queries per scan ≈ 120 MB of off-heap garbage, reclaimed late);
 * - per call, a JSON-RPC id made of 12 random digits, hex and base64 codecs in JavaScript, four promise layers;
 * - `@cosmjs/tendermint-rpc` itself (≈ 12 MB of resident memory for its modules: websocket, streams, crypto).
 *
 * Checks follow cosmjs 0.39 (`decodeStatus` and `decodeAbciQuery`, identical in its 0.37, 0.38 and 1.x
 * adaptors) field by field and in the same order.
 */

/** `writer.finish()` into a buffer of exactly the encoded size: the same bytes, without the 8 KiB slab. */
export function finishExact(writer: BinaryWriter): Uint8Array {
  const out = new Uint8Array(writer.len);
  let pos = 0;
  for (let op = writer.head.next; op; op = op.next) {
    op.proceed(out, pos);
    pos += op.len;
  }
  return out;
}

/** Below cosmjs' random ids (12 digits, ≥ 111111111111), so ids stay unique within a batch whoever made them. */
const MAX_ID = 100_000_000_000;
let lastId = 0;
const nextId = () => {
  lastId = lastId >= MAX_ID ? 1 : lastId + 1;
  return lastId;
};

export interface CometStatus {
  latestBlockHeight: number;
  /** node_info.version (CometBFT version). */
  version: string;
}

// biome-ignore lint/suspicious/noExplicitAny: untrusted JSON, checked field by field as cosmjs does
type Json = any;

/** `status`: the node's latest block height, after cosmjs' checks of the whole answer. */
export async function cometStatus(rpc: RpcClient): Promise<CometStatus> {
  const answer = await rpc.execute({ jsonrpc: '2.0', id: nextId(), method: 'status', params: {} });
  const data: Json = answer.result;
  // decodeNodeInfo
  const node: Json = data.node_info;
  fromHex(checkNonEmptyString(node.id));
  checkNonEmptyString(node.listen_addr);
  checkNonEmptyString(node.network);
  const version = checkString(node.version);
  checkString(node.channels);
  checkNonEmptyString(node.moniker);
  for (const key of Object.keys(node.other)) {
    if (typeof node.other[key] !== 'string')
      throw new Error('Found dictionary value of type other than string');
  }
  apiToSmallInt(checkNonEmptyString(node.protocol_version.app));
  apiToSmallInt(checkNonEmptyString(node.protocol_version.block));
  apiToSmallInt(checkNonEmptyString(node.protocol_version.p2p));
  // decodeSyncInfo
  const sync: Json = data.sync_info;
  if (sync.earliest_block_height) apiToSmallInt(sync.earliest_block_height);
  if (sync.earliest_block_time) fromRfc3339(sync.earliest_block_time);
  if (sync.earliest_app_hash) fromHex(sync.earliest_app_hash);
  if (sync.earliest_block_hash) fromHex(sync.earliest_block_hash);
  fromHex(checkNonEmptyString(sync.latest_block_hash));
  fromHex(checkNonEmptyString(sync.latest_app_hash));
  fromRfc3339(checkNonEmptyString(sync.latest_block_time));
  const latestBlockHeight = apiToSmallInt(checkNonEmptyString(sync.latest_block_height));
  checkBoolean(sync.catching_up);
  // decodeValidatorInfo
  const validator: Json = data.validator_info;
  checkPubkey(checkObject(validator.pub_key));
  apiToBigInt(checkNonEmptyString(validator.voting_power));
  fromHex(checkNonEmptyString(validator.address));
  if (validator.proposer_priority) apiToSmallInt(validator.proposer_priority);
  return { latestBlockHeight, version };
}

/**
 * One `abci_query` at the latest height without proof; resolves with the answer's value bytes. Throws
 * `Query failed with (<code>): <log>` when the chain answered with an error code, as cosmjs does.
 */
export async function abciQuery(rpc: RpcClient, path: string, request: Uint8Array): Promise<Uint8Array> {
  const answer = await rpc.execute({
    jsonrpc: '2.0',
    id: nextId(),
    method: 'abci_query',
    params: { path, data: toHex(request), prove: false },
  });
  const response: Json = checkObject((answer.result as Json).response);
  // decodeAbciQuery
  fromBase64(checkString(response.key ?? ''));
  const value = fromBase64(checkString(response.value ?? ''));
  if (response.proofOps !== undefined && response.proofOps !== null) {
    for (const op of response.proofOps.ops.map((o: Json) => o)) {
      void op.type;
      fromBase64(op.key);
      fromBase64(op.data);
    }
  }
  const height = may(apiToSmallInt, response.height);
  const code = may(apiToSmallInt, response.code);
  checkString(response.codespace ?? '');
  may(apiToSmallInt, response.index);
  checkString(response.info ?? '');
  // QueryClient.queryAbci
  if (code) throw new Error(`Query failed with (${code}): ${response.log}`);
  if (!height) throw new Error('No query height returned');
  return value;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** cosmjs' fromBase64 (the same strictness: format, then length), decoded natively. */
function fromBase64(base64String: Json): Uint8Array {
  if (!base64String.match(/^[a-zA-Z0-9+/]*={0,2}$/)) throw new Error('Invalid base64 string format');
  if (base64String.length % 4 > 0) throw new Error('Invalid string. Length must be a multiple of 4');
  const b = Buffer.from(base64String, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

// Parameter names as in cosmjs, so that a value of the wrong type fails with the same message.

/** cosmjs' fromHex, as a check. */
function fromHex(hexstring: Json): void {
  if (hexstring.length % 2 !== 0) throw new Error('hex string length must be a multiple of 2');
  const out = new Uint8Array(hexstring.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hexByteAsString = hexstring.slice(2 * i, 2 * i + 2);
    if (!hexByteAsString.match(/[0-9a-f]{2}/i)) throw new Error('hex string contains invalid characters');
  }
}

/** cosmjs' fromRfc3339, as a check (the date itself is not used). */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?((?:[+-]\d{2}:\d{2})|Z)$/;
function fromRfc3339(dateTimeString: Json): void {
  if (!RFC3339.exec(dateTimeString)) throw new Error('Date string is not in RFC3339 format');
  dateTimeString.match(/\.(\d+)Z$/);
}

/** cosmjs' decodePubkey, as a check. */
function checkPubkey(data: Json): void {
  if ('Sum' in data) {
    const [[algorithm, value]] = Object.entries(data.Sum.value) as [[string, unknown]];
    if (!(algorithm === 'ed25519' || algorithm === 'secp256k1'))
      throw new Error(`unknown pubkey type: ${algorithm}`);
    fromBase64(checkNonEmptyString(value));
    return;
  }
  switch (data.type) {
    case 'tendermint/PubKeyEd25519':
    case 'tendermint/PubKeySecp256k1':
      fromBase64(checkNonEmptyString(data.value));
      return;
    default:
      throw new Error(`unknown pubkey type: ${data.type}`);
  }
}

const may = <T>(transform: (v: Json) => T, value: unknown): T | undefined =>
  value === undefined || value === null ? undefined : transform(value);

function checkSet(value: unknown): void {
  if (value === undefined) throw new Error('Value must not be undefined');
  if (value === null) throw new Error('Value must not be null');
}

function checkString(value: unknown): string {
  checkSet(value);
  if (typeof value !== 'string') throw new Error('Value must be a string');
  return value;
}

function checkNonEmptyString(value: unknown): string {
  checkString(value);
  if ((value as string).length === 0) throw new Error('Value must not be empty');
  return value as string;
}

function checkBoolean(value: unknown): boolean {
  checkSet(value);
  if (typeof value !== 'boolean') throw new Error('Value must be a boolean');
  return value;
}

function checkObject(value: unknown): Json {
  checkSet(value);
  if (typeof value !== 'object') throw new Error('Value must be an object');
  if (Object.prototype.toString.call(value) !== '[object Object]')
    throw new Error('Value must be a simple object');
  return value;
}

/** cosmjs' apiToSmallInt (Int53): a number, or a decimal string, within the safe integer range. */
function apiToSmallInt(input: Json): number {
  let n: number;
  if (typeof input === 'number') n = input;
  else {
    const str = input;
    if (!str.match(/^-?[0-9]+$/)) throw new Error('Invalid string format');
    n = Number.parseInt(str, 10);
  }
  if (Number.isNaN(n)) throw new Error('Input is not a number');
  if (!Number.isInteger(n)) throw new Error('Input is not an integer');
  if (n < Number.MIN_SAFE_INTEGER || n > Number.MAX_SAFE_INTEGER)
    throw new Error(`Input not in int53 range: ${n}`);
  return n;
}

/** cosmjs' apiToBigInt, as a check. */
function apiToBigInt(input: Json): void {
  checkString(input);
  if (!input.match(/^-?[0-9]+$/)) throw new Error('Invalid string format');
}
