import { seededRandom } from '@tocsin/sim-cosmos';
import { BinaryWriter } from 'cosmjs-types/binary';
import { QueryBalanceRequest } from 'cosmjs-types/cosmos/bank/v1beta1/query';
import {
  QueryClientStateRequest,
  QueryClientStatusRequest,
  QueryConsensusStateRequest,
} from 'cosmjs-types/ibc/core/client/v1/query';
import { QueryConnectionsRequest } from 'cosmjs-types/ibc/core/connection/v1/query';
import { describe, expect, it } from 'vitest';

/**
 * `encodeRequestsExactly` against the allocator cosmjs-types ships. Only cosmjs-types is imported statically: the
 * transport (which applies the change when loaded) is imported once the stock allocator has been captured; each
 * test file runs in its own process.
 */

const rand = seededRandom(42);
const int = (n: number) => Math.floor(rand() * n);
const u64 = () => [0n, 1n, BigInt(int(1000)), 2n ** 63n - 1n, 2n ** 64n - 1n][int(5)]!;
const text = () => ['', '07-tendermint-0', '08-wasm-12', 'chaîne-ü-7', '链-1', 'x'.repeat(5000)][int(6)]!;
const bytes = (max: number) => Uint8Array.from({ length: int(max) }, () => int(256));

/** The request writers a scan makes, fresh each call (writing 64-bit varints is destructive). */
function requestWriters(): (() => BinaryWriter)[] {
  const clientId = text();
  const consensus = QueryConsensusStateRequest.fromPartial({
    clientId: text(),
    revisionNumber: u64(),
    revisionHeight: u64(),
    latestHeight: rand() < 0.5,
  });
  const page = { key: bytes(20), offset: 0n, limit: u64(), countTotal: false, reverse: false };
  const balance = { address: `cosmos1${'q'.repeat(int(60))}`, denom: text() };
  return [
    () => QueryClientStateRequest.encode({ clientId }),
    () => QueryClientStatusRequest.encode({ clientId }),
    () => QueryConsensusStateRequest.encode(consensus),
    () => QueryConnectionsRequest.encode({ pagination: page }),
    () => QueryBalanceRequest.encode(balance),
  ];
}

describe('encodeRequestsExactly', () => {
  it('gives the bytes cosmjs-types gives, each request in a buffer of its own size', async () => {
    const stock = BinaryWriter.alloc;
    // The stock allocator: a fresh 8 KiB pool per call, the request a slice of it.
    const sample = stock(40) as Uint8Array;
    expect(sample.length).toBe(40);
    expect(sample.buffer.byteLength).toBe(8192);

    const writers = Array.from({ length: 300 }, requestWriters).flat();
    const before = writers.map((w) => w().finish());
    let slabs = 0;
    for (const b of before) if (b.buffer.byteLength === 8192 && b.length < 8192) slabs++;
    // Everything from 1 byte to 4 KiB is a slice of its own 8 KiB pool.
    expect(slabs).toBe(before.filter((b) => b.length >= 1 && b.length <= 4096).length);
    expect(slabs).toBeGreaterThan(1000);

    const { encodeRequestsExactly } = await import('../src/transport/exactWriter.ts');
    encodeRequestsExactly();
    expect(BinaryWriter.alloc).not.toBe(stock);
    writers.forEach((w, i) => {
      const b = w().finish();
      expect(b).toEqual(before[i]);
      expect(b.buffer.byteLength).toBe(b.length);
    });
  });
});
