/**
 * Runs items through `run` in batches, one batch in flight at a time: while a batch is with PostgreSQL, the items
 * that arrive wait and go together in the next (group commit). A lone item goes at once, so this adds no latency
 * when idle and turns N concurrent round trips into one under load. Items with the same `key` never share a batch
 * (one statement must not touch a row twice); `run` returns one result per item, in order. When a batch of several
 * fails with an error that `alone` says is about the data (one item's, e.g. a value PostgreSQL refuses), each item
 * is run again by itself, so only the one at fault fails, not the others that shared its statement.
 */
interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(e: unknown): void;
}

export class Coalescer<I, O> {
  readonly #queue: Waiting<I, O>[] = [];
  #running = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly key: (item: I) => string,
    private readonly max = 256,
    private readonly alone?: (err: unknown) => boolean,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length) {
        const batch: Waiting<I, O>[] = [];
        const keys = new Set<string>();
        const rest: Waiting<I, O>[] = [];
        for (const w of this.#queue.splice(0)) {
          const k = this.key(w.item);
          if (batch.length < this.max && !keys.has(k)) {
            keys.add(k);
            batch.push(w);
          } else rest.push(w);
        }
        this.#queue.unshift(...rest);
        try {
          const out = await this.run(batch.map((w) => w.item));
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(out[i]!);
        } catch (err) {
          if (batch.length > 1 && this.alone?.(err)) await this.#oneByOne(batch);
          else for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#running = false;
    }
  }

  async #oneByOne(batch: Waiting<I, O>[]): Promise<void> {
    for (const w of batch) {
      try {
        w.resolve((await this.run([w.item]))[0]!);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
