import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NAME = /^(\d{16})\.json$/;

/**
 * Reports waiting for delivery, one file each, named by a sequence number so they go out in the order they were
 * taken, across agent restarts too. Files are written to a temporary name and renamed, so a crash never leaves half a
 * report. Bounded: past `max` the oldest are dropped (and counted).
 */
export class DiskBuffer<T> {
  #seqs: number[] = [];
  #next = 1;
  /** Reports dropped because the buffer was full. */
  dropped = 0;

  constructor(
    private readonly dir: string,
    private readonly max: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(dir)) {
      const m = NAME.exec(f);
      if (m) this.#seqs.push(Number(m[1]));
      else if (f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
    }
    this.#seqs.sort((a, b) => a - b);
    this.#next = (this.#seqs.at(-1) ?? 0) + 1;
  }

  get size(): number {
    return this.#seqs.length;
  }

  #file(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.json`);
  }

  push(item: T): void {
    const seq = this.#next++;
    const tmp = `${this.#file(seq)}.tmp`;
    writeFileSync(tmp, JSON.stringify(item), { mode: 0o600 });
    renameSync(tmp, this.#file(seq));
    this.#seqs.push(seq);
    while (this.#seqs.length > this.max) {
      rmSync(this.#file(this.#seqs.shift()!), { force: true });
      this.dropped++;
    }
  }

  /** The oldest report (undefined when empty); an unreadable file is dropped. */
  peek(): T | undefined {
    while (this.#seqs.length) {
      try {
        return JSON.parse(readFileSync(this.#file(this.#seqs[0]!), 'utf8')) as T;
      } catch {
        rmSync(this.#file(this.#seqs.shift()!), { force: true });
        this.dropped++;
      }
    }
    return undefined;
  }

  /** Removes the oldest report (after it was delivered). */
  shift(): void {
    const seq = this.#seqs.shift();
    if (seq !== undefined) rmSync(this.#file(seq), { force: true });
  }
}
