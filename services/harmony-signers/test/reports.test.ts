import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, BOB, KEY_A, report, type SignersStack, startSigners } from './support.ts';

describe('POST /v1/harmony/reports', () => {
  let s: SignersStack;
  let alice: string;
  let db: pg.Client;
  const count = async (sql = 'SELECT count(*)::int AS n FROM harmony_reports') =>
    (await db.query<{ n: number }>(sql)).rows[0]!.n;

  beforeAll(async () => {
    s = await startSigners('hs_routes', { body_limit: 4096, rate_limit: { max: 5, window: '1m' } });
    alice = (await s.signers.tokens.create(ALICE, 'alice servers')).token;
    db = new pg.Client({ connectionString: s.env.databaseUrl });
    await db.connect();
    await db.query(`SET search_path TO ${s.env.schema}`);
  });
  afterAll(async () => {
    await db?.end();
    await s?.stop();
  });

  // Every test posts with tokens of its own: the rate limit (5 a minute here) counts per token.
  it('accepts a report: recorded in PostgreSQL and published as signer_report', async () => {
    const body = report(s.clock, 'val-main', { keys: [KEY_A], mode: 'Normal' });
    const res = await s.post(body, alice);
    expect(res.status).toBe(202);
    expect(res.json.published).toContain('signer_report');
    const row = (await db.query('SELECT * FROM harmony_reports WHERE nonce = $1', [body.nonce])).rows[0];
    expect(row).toMatchObject({ owner: ALICE, hostname: 'val-main', mode: 'Normal', blskeys: [KEY_A] });
    const stored = await s.stored('signer_report');
    expect(stored.at(-1)!.data).toMatchObject({
      owner: ALICE,
      hostname: 'val-main',
      mode: 'Normal',
      blskeys: [KEY_A],
    });
  });

  it('a bad, missing or revoked token → 401 and nothing recorded', async () => {
    const before = await count();
    const events = (await s.stored()).length;
    expect((await s.post(report(s.clock, 'x', {}), 'tocsin_hmy_not-a-real-token')).status).toBe(401);
    expect((await s.post(report(s.clock, 'x', {}), null)).status).toBe(401);
    const revoked = await s.signers.tokens.create(BOB, 'soon revoked');
    await s.signers.tokens.revoke(revoked.summary.id, BOB, false);
    const res = await s.post(report(s.clock, 'x', {}), revoked.token);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('unauthorized');
    // A bad token with a malformed body is still 401: the body is not even read.
    expect((await s.post('{not json', 'wrong')).status).toBe(401);
    expect(await count()).toBe(before);
    expect((await s.stored()).length).toBe(events);
  });

  it('a malformed report → 400 naming the bad field, nothing recorded', async () => {
    const before = await count();
    const bad = report(s.clock, 'val-main', {});
    (bad.node as { blskeys: string[] }).blskeys = ['0xnot-a-key'];
    const res = await s.post(bad, alice);
    expect(res.status).toBe(400);
    expect(res.json.issues.join('\n')).toMatch(/^node\.blskeys\.0: a BLS public key/m);
    const noHost = { ...report(s.clock, 'h', {}), hostname: undefined };
    expect((await s.post(noHost, alice)).json.message).toMatch(/hostname/);
    const extra = { ...report(s.clock, 'h', {}), surprise: 1 };
    expect((await s.post(extra, alice)).json.message).toMatch(/surprise/);
    expect((await s.post('{not json', alice)).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('an oversized body → 413, nothing recorded', async () => {
    const before = await count();
    const token = (await s.signers.tokens.create(ALICE, 'big')).token;
    const big = { ...report(s.clock, 'val-main', {}), agent_version: 'x'.repeat(10_000) };
    const res = await s.post(big, token);
    expect(res.status).toBe(413);
    expect(await count()).toBe(before);
  });

  it('a replayed report (same nonce) → 409, recorded and published once', async () => {
    const token = (await s.signers.tokens.create(ALICE, 'replay')).token;
    const body = report(s.clock, 'val-replay', {});
    expect((await s.post(body, token)).status).toBe(202);
    const res = await s.post(body, token);
    expect(res.status).toBe(409);
    expect(res.json.error).toBe('replay');
    expect(await count(`SELECT count(*)::int AS n FROM harmony_reports WHERE nonce = '${body.nonce}'`)).toBe(
      1,
    );
    expect((await s.stored('signer_report')).filter((e) => e.dedup_key.endsWith(body.nonce))).toHaveLength(1);
  });

  it('tokens are stored as SHA-256 only, never the token', async () => {
    const { rows } = await db.query('SELECT * FROM harmony_tokens');
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(alice);
    expect(dump).not.toContain(alice.slice(11, 40));
    expect(rows.every((r) => Buffer.isBuffer(r.token_sha256) && r.token_sha256.length === 32)).toBe(true);
  });

  it('rate-limits per token (429), not other tokens', async () => {
    const burst = (await s.signers.tokens.create(BOB, 'burst')).token;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await s.post(report(s.clock, 'val-burst', {}), burst)).status);
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const other = (await s.signers.tokens.create(BOB, 'other')).token;
    expect((await s.post(report(s.clock, 'val-other', {}), other)).status).toBe(202);
  });
});
