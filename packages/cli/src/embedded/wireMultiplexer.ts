import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

interface Unit {
  conn: Connection;
  bytes: Buffer;
  /** The unit leaves the protocol mid-sequence (Flush), so the next unit of this connection must follow it. */
  open: boolean;
}

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
}

interface Connection {
  id: number;
  socket: net.Socket;
  /** It ran a statement naming an advisory lock function, so it may hold a session-level advisory lock. */
  advisory: boolean;
  /** It holds advisory locks: it keeps the backend until it releases them (or disconnects). */
  locks: boolean;
}

/** Whether a unit calls an advisory lock function (pg_advisory_lock, pg_try_advisory_lock, …_unlock). */
function mentionsAdvisory(bytes: Buffer): boolean {
  return bytes.includes('advisory') || bytes.includes('ADVISORY');
}

export interface WireMultiplexerOptions {
  /** A unit the backend could not run (its client is disconnected; the others are served on). Default: stderr. */
  onError?(err: unknown, connection: number): void;
}

/**
 * Serves one PGlite (a single backend) to many PostgreSQL connections. Messages are forwarded in whole units,
 * a simple Query or an extended-protocol sequence up to Sync, and a connection that is inside a transaction keeps
 * the backend until it ends, so statements and transactions of different connections never interleave.
 * (pglite-socket forwards single messages, which lets another connection's Parse slip between a Parse and its Bind.)
 *
 * Every connection shares the backend's one session, so a session-level advisory lock would not exclude anyone
 * (the session already holds it: three concurrent migrations all "took" node-pg-migrate's lock and raced to create
 * the same tables). A connection that holds advisory locks therefore keeps the backend, like a transaction, until
 * it has released them; and nobody else can then be waiting for that lock inside the single backend.
 */
export class WireMultiplexer {
  readonly #queue: Unit[] = [];
  #owner: Connection | null = null;
  #running = false;
  #nextId = 1;
  readonly server: net.Server;

  readonly #onError: (err: unknown, connection: number) => void;

  constructor(
    readonly db: PGlite,
    opts: WireMultiplexerOptions = {},
  ) {
    this.#onError =
      opts.onError ??
      ((err, id) =>
        process.stderr.write(`embedded postgres: connection ${id}: ${(err as Error)?.message ?? err}\n`));
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    const conn: Connection = { id: this.#nextId++, socket, advisory: false, locks: false };
    let buf: Buffer = Buffer.alloc(0);
    let started = false;
    let pending: Buffer[] = [];
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#dropped(conn));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const msg = buf.subarray(0, len);
          buf = buf.subarray(len);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write('N');
            continue;
          }
          if (code === CANCEL_REQUEST) {
            socket.end();
            return;
          }
          if (code !== PROTOCOL_3) {
            socket.destroy();
            return;
          }
          started = true;
          this.#push({ conn, bytes: Buffer.from(msg), open: false });
          continue;
        }
        if (buf.length < 5) return;
        const len = 1 + buf.readInt32BE(1);
        if (buf.length < len) return;
        const type = String.fromCharCode(buf[0]!);
        const msg = buf.subarray(0, len);
        buf = buf.subarray(len);
        if (type === 'X') {
          // Terminate ends this client, never the shared backend.
          socket.end();
          return;
        }
        pending.push(Buffer.from(msg));
        if (type === 'S' || type === 'Q' || type === 'H') {
          this.#push({ conn, bytes: Buffer.concat(pending), open: type === 'H' });
          pending = [];
        }
      }
    });
  }

  #push(u: Unit): void {
    this.#queue.push(u);
    void this.#drain();
  }

  async #drain(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (;;) {
        const i = this.#owner ? this.#queue.findIndex((u) => u.conn === this.#owner) : 0;
        if (i < 0 || this.#queue.length === 0) return;
        const [u] = this.#queue.splice(i, 1);
        if (!u) return;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(new Uint8Array(u.bytes), {
              onRawData: (data) => {
                if (u.conn.socket.writable) u.conn.socket.write(Buffer.from(data));
              },
            }),
          );
        } catch (err) {
          // Its answer is cut short, so its protocol state is unknown: that client is disconnected (its request
          // fails, and #dropped rolls back what it left open); the others are served on.
          this.#onError(err, u.conn.id);
          u.conn.socket.destroy();
        }
        if (mentionsAdvisory(u.bytes)) u.conn.advisory = true;
        // Between units only (a unit ending in Flush is mid-sequence: its connection keeps the backend anyway).
        if (u.conn.advisory && !u.open) {
          u.conn.locks = await this.#holdsAdvisoryLocks(u.conn.locks);
          if (!u.conn.locks) u.conn.advisory = false;
        }
        this.#owner = u.open || u.conn.locks || this.db.isInTransaction() ? u.conn : null;
      }
    } catch (err) {
      this.#onError(err, 0);
    } finally {
      this.#running = false;
      if (this.#queue.length && (!this.#owner || this.#queue.some((u) => u.conn === this.#owner)))
        void this.#drain();
    }
  }

  /** Whether the session holds advisory locks (only the connection that owns the backend can have taken them). */
  async #holdsAdvisoryLocks(previous: boolean): Promise<boolean> {
    try {
      const r = await this.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'`,
      );
      return (r.rows[0]?.n ?? 0) > 0;
    } catch {
      // E.g. inside a transaction that failed: nothing can have changed until it is rolled back.
      return previous;
    }
  }

  #dropped(conn: Connection): void {
    for (let i = this.#queue.length - 1; i >= 0; i--)
      if (this.#queue[i]!.conn === conn) this.#queue.splice(i, 1);
    if (this.#owner === conn) {
      // A client that died mid-transaction, or holding advisory locks, must not leave the shared backend inside
      // the one or holding the others: a ROLLBACK and an unlock go first, as ordinary units whose answers go nowhere.
      this.#queue.unshift(
        { conn, bytes: simpleQuery('ROLLBACK'), open: false },
        { conn, bytes: simpleQuery('SELECT pg_advisory_unlock_all()'), open: false },
      );
      void this.#drain();
    }
  }
}
