import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { sqlLiteral } from '../src/index.ts';

describe('sqlLiteral', () => {
  it("writes what pg's escapeLiteral writes", () => {
    const client = new pg.Client();
    for (const s of [
      '',
      'plain',
      "it's",
      "''",
      'back\\slash',
      "both ' and \\ and ''\\\\",
      JSON.stringify({ summary: 'client\'s "quoted" \\n', labels: { a: 'é😀' } }),
    ])
      expect(sqlLiteral(s)).toBe(client.escapeLiteral(s));
  });
});
