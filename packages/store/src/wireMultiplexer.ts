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
}

/**
 * Serves one PGlite (a single backend) to many PostgreSQL connections. Messages are forwarded in whole units,
 * a simple Query or an extended-protocol sequence up to Sync, and a connection that is inside a transaction keeps
 * the backend until it ends, so statements and transactions of different connections never interleave.
 * (pglite-socket forwards single messages, which lets another connection's Parse slip between a Parse and its Bind.)
 */
export class WireMultiplexer {
  readonly #queue: Unit[] = [];
  #owner: Connection | null = null;
  #running = false;
  #nextId = 1;
  readonly server: net.Server;

  constructor(readonly db: PGlite) {
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
    const conn: Connection = { id: this.#nextId++, socket };
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
        await this.db.runExclusive(() =>
          this.db.execProtocolRawStream(new Uint8Array(u.bytes), {
            onRawData: (data) => {
              if (u.conn.socket.writable) u.conn.socket.write(Buffer.from(data));
            },
          }),
        );
        this.#owner = u.open || this.db.isInTransaction() ? u.conn : null;
      }
    } finally {
      this.#running = false;
      if (this.#queue.length && (!this.#owner || this.#queue.some((u) => u.conn === this.#owner)))
        void this.#drain();
    }
  }

  #dropped(conn: Connection): void {
    for (let i = this.#queue.length - 1; i >= 0; i--)
      if (this.#queue[i]!.conn === conn) this.#queue.splice(i, 1);
    if (this.#owner === conn) {
      // A client that died mid-transaction must not leave the shared backend inside it: a ROLLBACK goes first,
      // as an ordinary unit whose answer goes nowhere.
      this.#queue.unshift({ conn, bytes: simpleQuery('ROLLBACK'), open: false });
      void this.#drain();
    }
  }
}
