import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../src/index.ts';

describe('sha256', () => {
  it('is the SHA-256 of the UTF-8 text, in hex or as bytes', () => {
    for (const s of ['', 'osmosis-1\u000007-tendermint-0', 'ünïcødé ✓']) {
      const want = createHash('sha256').update(s, 'utf8').digest();
      expect(sha256(s, 'hex')).toBe(want.toString('hex'));
      expect(sha256(s, 'buffer').equals(want)).toBe(true);
    }
  });
});
