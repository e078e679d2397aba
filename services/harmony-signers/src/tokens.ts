import * as crypto from 'node:crypto';
import { newId } from '@tocsin/events';
import { type Clock, sha256 } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import type { HarmonySignersConfig } from './config.ts';

/** The bearer token an agent sends: 256 random bits, so a plain SHA-256 is a safe thing to store. */
const TOKEN_PREFIX = 'tocsin_hmy_';

export interface AgentToken {
  id: string;
  owner: string;
  label: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** A bearer token as stored: its SHA-256 (once per report request; see @tocsin/runtime's sha256). */
export function tokenSha256(token: string): Buffer {
  return sha256(token, 'buffer');
}

interface Row {
  id: string;
  owner: string;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toToken = (r: Row): AgentToken => ({
  id: r.id,
  owner: r.owner,
  label: r.label,
  created_at: r.created_at.toISOString(),
  revoked_at: iso(r.revoked_at),
  last_used_at: iso(r.last_used_at),
});

export class TokenNotFound extends Error {
  override readonly name = 'TokenNotFound';
  readonly code = 'token_not_found';
}

export function isTokenNotFound(err: unknown): err is TokenNotFound {
  return err instanceof TokenNotFound;
}

export class TokenForbidden extends Error {
  override readonly name = 'TokenForbidden';
  readonly code = 'token_forbidden';
}

export function isTokenForbidden(err: unknown): err is TokenForbidden {
  return err instanceof TokenForbidden;
}

/**
 * Agent tokens, stored as SHA-256 only: created (the token is returned once and never again), listed, revoked.
 * A verified token is cached for `token_cache_ttl`, so report intake does not ask PostgreSQL on every request.
 */
export class TokenStore {
  /** By the token's hash (never the token itself); live tokens only, so unknown values cannot fill it. */
  readonly #cache = new Map<string, { token: AgentToken; until: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
    private readonly cacheTtlMs: number,
  ) {}

  /** Tokens given in the configuration (by their hash): inserted, or their owner and label updated. */
  async provision(tokens: HarmonySignersConfig['tokens']): Promise<void> {
    for (const t of tokens) {
      await this.pool.query(
        `INSERT INTO harmony_tokens (id, owner, label, token_sha256, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, label = EXCLUDED.label,
           token_sha256 = EXCLUDED.token_sha256`,
        [t.id, t.owner, t.label, Buffer.from(t.sha256, 'hex'), new Date(this.clock.now())],
      );
    }
  }

  async create(owner: string, label: string): Promise<{ token: string; summary: AgentToken }> {
    const token = `${TOKEN_PREFIX}${crypto.randomBytes(32).toString('base64url')}`;
    const id = `tok_${newId(this.clock.now()).toLowerCase()}`;
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO harmony_tokens (id, owner, label, token_sha256, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, owner, label, created_at, revoked_at, last_used_at`,
      [id, owner, label, tokenSha256(token), new Date(this.clock.now())],
    );
    return { token, summary: toToken(rows[0]!) };
  }

  async list(owner?: string): Promise<AgentToken[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT id, owner, label, created_at, revoked_at, last_used_at FROM harmony_tokens
       WHERE $1::text IS NULL OR owner = $1 ORDER BY created_at, id`,
      [owner ?? null],
    );
    return rows.map(toToken);
  }

  /** Only the token's owner (or an admin) may revoke it. */
  async revoke(id: string, by: string, isAdmin: boolean): Promise<AgentToken> {
    const { rows } = await this.pool.query<Row>(
      'SELECT id, owner, label, created_at, revoked_at, last_used_at FROM harmony_tokens WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) throw new TokenNotFound(`no token ${id}`);
    if (row.owner !== by && !isAdmin) throw new TokenForbidden(`token ${id} belongs to someone else`);
    const done = await this.pool.query<Row>(
      `UPDATE harmony_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
       RETURNING id, owner, label, created_at, revoked_at, last_used_at`,
      [id, new Date(this.clock.now())],
    );
    this.#cache.clear();
    return toToken(done.rows[0]!);
  }

  /**
   * The live token of a bearer value's SHA-256 (`tokenSha256`; `key`: its base64url, when the caller has it), or
   * null (unknown or revoked). Remembered for `token_cache_ttl` after PostgreSQL said so:
   * a token revoked here is refused at once, one revoked by another replica within `token_cache_ttl`.
   */
  async verifyHash(hash: Buffer, key = hash.toString('base64url')): Promise<AgentToken | null> {
    const now = this.clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.until > now) return cached.token;
    const { rows } = await this.pool.query<Row>(
      `UPDATE harmony_tokens SET last_used_at = $2 WHERE token_sha256 = $1 AND revoked_at IS NULL
       RETURNING id, owner, label, created_at, revoked_at, last_used_at`,
      [hash, new Date(now)],
    );
    const token = rows[0] ? toToken(rows[0]) : null;
    if (token && this.cacheTtlMs > 0) {
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, { token, until: now + this.cacheTtlMs });
    }
    return token;
  }
}
