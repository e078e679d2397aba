/**
 * Groups concurrent submissions into batches handled by one call each (one PostgreSQL transaction for many
 * reports). A batch is flushed when it holds `max` items or `waitMs` after its first item, whichever comes first,
 * with at most `parallel` batches in flight; while all are busy, new items wait for the next free slot (and join one
 * batch). Each submission settles with its own result only after its batch's call returned, so a caller answering
 * 2xx answers after the commit. If a batch fails with an error `retryAlone` accepts (one bad item, a deadlock between
 * two batches), each of its items is tried alone, so that is one item's error only; any other failure (a server down)
 * is every item's answer at once, not retried item by item.
 *
 * The wait is on the wall clock on purpose: it bounds how long a report waits for company, not anything a test
 * measures (services' time is the injected Clock).
 */
export interface BatcherOptions {
  max: number;
  waitMs: number;
  parallel: number;
  /** Whether a batch's failure may be one item's fault (then each item is tried alone). */
  retryAlone(err: unknown): boolean;
}

interface Pending<T, R> {
  item: T;
  resolve(r: R): void;
  reject(err: unknown): void;
}

export class Batcher<T, R> {
  #queue: Pending<T, R>[] = [];
  #timer: NodeJS.Timeout | null = null;
  #inFlight = 0;
  readonly #idle = new Set<() => void>();

  constructor(
    private readonly opts: BatcherOptions,
    /** Handles a batch; returns one result per item, in order. */
    private readonly run: (items: T[]) => Promise<R[]>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length >= this.opts.max) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.opts.waitMs);
    });
  }

  /** Resolves once nothing is queued or in flight (a stopping service waits for its answers). */
  async drain(): Promise<void> {
    while (this.#queue.length || this.#inFlight) {
      if (this.#queue.length && this.#inFlight < this.opts.parallel) this.#flush();
      await new Promise<void>((resolve) => this.#idle.add(resolve));
    }
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // All slots busy: the queue keeps growing and is taken whole (up to max) when a batch ends.
    while (this.#queue.length && this.#inFlight < this.opts.parallel) {
      const batch = this.#queue.splice(0, this.opts.max);
      this.#inFlight += 1;
      void this.#handle(batch).finally(() => {
        this.#inFlight -= 1;
        if (this.#queue.length) this.#flush();
        for (const wake of this.#idle) wake();
        this.#idle.clear();
      });
    }
  }

  async #handle(batch: Pending<T, R>[]): Promise<void> {
    try {
      const results = await this.run(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(results[i]!);
    } catch (err) {
      if (batch.length === 1 || !this.opts.retryAlone(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // One by one: only the item (or items) that fail alone get the error.
      for (const p of batch) {
        await this.run([p.item]).then(
          (r) => p.resolve(r[0]!),
          (e: unknown) => p.reject(e),
        );
      }
    }
  }
}
