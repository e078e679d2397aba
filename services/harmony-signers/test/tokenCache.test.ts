import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signersOf } from '../src/index.ts';
import { ALICE, report, type SignersStack, startSigners } from './support.ts';

describe('verified tokens are cached for token_cache_ttl; a revocation holds within that bound', () => {
  const TTL = 5_000; // token_cache_ttl: '5s'
  let s: SignersStack;
  let db: pg.Client;
  const recorded = async (nonce: string) =>
    (await db.query('SELECT 1 FROM harmony_reports WHERE nonce = $1', [nonce])).rowCount;

  beforeAll(async () => {
    s = await startSigners('hs_token_cache', { token_cache_ttl: '5s' }, 2);
    db = new pg.Client({ connectionString: s.env.databaseUrl });
    await db.connect();
    await db.query(`SET search_path TO ${s.env.schema}`);
  });
  afterAll(async () => {
    await db?.end();
    await s?.stop();
  });

  it('refused at once by the replica that revoked it, by another replica once its cached check is token_cache_ttl old', async () => {
    const { token, summary } = await s.signers.tokens.create(ALICE, 'revoked while cached');
    // Both replicas verify the token (with PostgreSQL) and remember it.
    expect((await s.post(report(s.clock, 'val-1', {}), token, 0)).status).toBe(202);
    expect((await s.post(report(s.clock, 'val-1', {}), token, 1)).status).toBe(202);

    await signersOf(s.services[0]!.ctx).tokens.revoke(summary.id, ALICE, false);
    const here = report(s.clock, 'val-1', {});
    expect((await s.post(here, token, 0)).status).toBe(401);
    expect(await recorded(here.nonce)).toBe(0);

    // The other replica still holds its check, made less than token_cache_ttl ago: the documented bound.
    s.clock.advance(TTL - 1);
    expect((await s.post(report(s.clock, 'val-1', {}), token, 1)).status).toBe(202);
    s.clock.advance(1);
    const there = report(s.clock, 'val-1', {});
    const res = await s.post(there, token, 1);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('unauthorized');
    expect(await recorded(there.nonce)).toBe(0);
  });

  it('an accepted report carries no rate-limit headers; the token hash is computed once for the limit and the check', async () => {
    const { token } = await s.signers.tokens.create(ALICE, 'headers');
    const res = await s.services[0]!.ctx.http.inject({
      method: 'POST',
      url: '/v1/harmony/reports',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      payload: JSON.stringify(report(s.clock, 'val-2', {})),
    });
    expect(res.statusCode).toBe(202);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
  });
});
