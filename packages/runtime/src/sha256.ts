import * as crypto from 'node:crypto';

/**
 * SHA-256 of a string, by the one-shot `crypto.hash` (Node ≥ 20.12: no Hash object per call, about a third of
 * create-update-digest's cost on the hot paths that hash per alert, delivery or request); older Nodes (the engines
 * field allows 20.11) take the long way. `hex` for ids and fingerprints, `buffer` for stored token hashes.
 */
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : null;

export function sha256(s: string, encoding: 'hex'): string;
export function sha256(s: string, encoding: 'buffer'): Buffer;
export function sha256(s: string, encoding: 'hex' | 'buffer'): string | Buffer {
  if (oneShot) return oneShot('sha256', s, encoding as 'hex');
  const h = crypto.createHash('sha256').update(s, 'utf8');
  return encoding === 'hex' ? h.digest('hex') : h.digest();
}
