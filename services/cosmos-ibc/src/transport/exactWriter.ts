import { BinaryWriter } from 'cosmjs-types/binary';

/**
 * cosmjs-types' `BinaryWriter.finish()` gets its buffer from `BinaryWriter.alloc`, which builds a new 8 KiB pool
 * on every call (protobufjs, which it comes from, keeps one pool per process), so each encoded request gets its
 * own 8 KiB ArrayBuffer outside the V8 heap. A scan encodes ~15,000 requests through cosmjs' QueryClient; requests
 * still in flight at a young collection get promoted and their slabs wait for a full GC: measured, up to 35 MB of
 * array buffers at the peak of a 5,000-client scan, and RSS that stays up after it (freed malloc chunks are kept).
 * An exact-size array gives the same bytes (a request is tens of bytes: small typed arrays live on the V8 heap).
 * Applied once, when the transport is loaded; it changes where the bytes are written, not which.
 */
export function encodeRequestsExactly(): void {
  BinaryWriter.alloc = exactAlloc;
}

function exactAlloc(size: number): Uint8Array {
  return new Uint8Array(size);
}
