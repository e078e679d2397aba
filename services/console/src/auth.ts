import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Why a write was refused, for the 401 body. */
export type AuthFailure = { error: 'unauthorized'; message: string };

/**
 * The console's login token: only its SHA-256 is kept, and a presented token is compared by hash in constant
 * time. Without a configured token every write is refused, with the way to configure one.
 */
export class TokenCheck {
  readonly #hash: Buffer | null;

  constructor(token: string | null) {
    this.#hash = token ? sha256(token) : null;
  }

  get configured(): boolean {
    return this.#hash !== null;
  }

  /** Whether an `Authorization` header carries the token. */
  accepts(header: string | undefined): boolean {
    if (!this.#hash || !header) return false;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? timingSafeEqual(sha256(m[1]!), this.#hash) : false;
  }

  /** Null when the header carries the token, else the 401 body. */
  refuse(header: string | undefined): AuthFailure | null {
    if (this.accepts(header)) return null;
    return {
      error: 'unauthorized',
      message: this.#hash
        ? header
          ? 'the token is not valid (Authorization: Bearer <token>, the contents of console.token_file)'
          : 'this action needs the login token: send "Authorization: Bearer <token>" (the contents of console.token_file)'
        : 'write actions are off: no login token is configured. Put a token in a file only you can read ' +
          '(chmod 600) and set console.token_file to it; `tocsin up` without a config generates one',
    };
  }
}
