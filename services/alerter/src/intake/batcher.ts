/**
 * Gathers messages handled concurrently by the consume loop into batches: each message's handler resolves when
 * the batch that contains it is committed (then the loop acks it), or rejects when that batch failed (then the
 * loop naks it and JetStream redelivers). One batch is processed at a time; a `process` that returns `Staged`
 * lets the next batch be cut and processed as soon as it is staged (its commit sent), while its outcome settles
 * (pipelining: `process` keeps the order). When a batch fails for a reason that is not an outage (`isolate`), its
 * items are applied one by one, so one bad message fails (and is eventually dead-lettered) alone instead of taking
 * its batch with it.
 */
export interface Batcher<T> {
  submit(item: T): Promise<void>;
  /** Waits until everything submitted so far has been processed. */
  idle(): Promise<void>;
}

/** A batch handed over: its outcome (committed, or not) is `done`. */
export interface Staged {
  done: Promise<void>;
}

interface Batch<T> {
  items: T[];
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
  /** After a failed batch was applied item by item: the errors by index. */
  failed?: Map<number, unknown>;
}

/** The rejection of a batch that was applied item by item: each item looks up its own outcome. */
const ISOLATED = Symbol('isolated');

function newBatch<T>(): Batch<T> {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed batch is seen by each of its messages' handlers; this keeps it from also counting as unhandled.
  done.catch(() => undefined);
  return { items: [], done, resolve, reject };
}

export function createBatcher<T>(
  process: (items: T[]) => Promise<void> | Promise<Staged>,
  maxBatch: number,
  opts: { isolate?(err: unknown): boolean } = {},
): Batcher<T> {
  // Items are assigned to batches as they arrive, and every item of a batch shares its promise (one promise per
  // batch, not per message).
  const waiting: Batch<T>[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;
  /** Staged batches whose outcome is not settled yet. */
  const settling = new Set<Promise<void>>();

  const apply = async (items: T[]): Promise<void> => {
    const staged = await process(items);
    if (staged) await staged.done;
  };

  async function failed(batch: Batch<T>, err: unknown): Promise<void> {
    if (batch.items.length < 2 || opts.isolate?.(err) === false) {
      batch.reject(err);
      return;
    }
    const errors = new Map<number, unknown>();
    for (const [i, item] of batch.items.entries()) {
      try {
        await apply([item]);
      } catch (e) {
        errors.set(i, e);
      }
    }
    batch.failed = errors;
    if (errors.size) batch.reject(ISOLATED);
    else batch.resolve();
  }

  async function drain(): Promise<void> {
    for (let batch = waiting.shift(); batch; batch = waiting.shift()) {
      let staged: Staged | undefined;
      try {
        staged = (await process(batch.items)) ?? undefined;
      } catch (err) {
        await failed(batch, err);
        continue;
      }
      if (!staged) {
        batch.resolve();
        continue;
      }
      const b = batch;
      const settled: Promise<void> = staged.done.then(
        () => b.resolve(),
        (err) => failed(b, err),
      );
      settling.add(settled);
      void settled.finally(() => settling.delete(settled));
    }
  }

  function kick(): void {
    if (running || scheduled) return;
    scheduled = true;
    // Let the consume loop hand over everything it already holds before the batch is cut.
    setImmediate(() => {
      scheduled = false;
      if (running) return;
      running = drain().finally(() => {
        running = null;
        if (waiting.length) kick();
      });
    });
  }

  return {
    submit(item) {
      let last = waiting[waiting.length - 1];
      if (!last || last.items.length >= maxBatch) {
        last = newBatch<T>();
        waiting.push(last);
      }
      const batch = last;
      const index = batch.items.push(item) - 1;
      kick();
      return batch.done.catch((err) => {
        if (err !== ISOLATED) throw err;
        if (batch.failed?.has(index)) throw batch.failed.get(index);
      });
    },
    async idle() {
      while (running || scheduled || waiting.length || settling.size)
        await (running ?? (settling.size ? Promise.all(settling) : new Promise((r) => setImmediate(r))));
    },
  };
}
