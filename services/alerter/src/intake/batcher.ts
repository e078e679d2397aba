/**
 * Gathers messages handled concurrently by the consume loop into batches: each message's handler resolves when
 * the batch that contains it is committed (then the loop acks it), or rejects when that batch failed (then the
 * loop naks it and JetStream redelivers). One batch is processed at a time.
 */
export interface Batcher<T> {
  submit(item: T): Promise<void>;
  /** Waits until everything submitted so far has been processed. */
  idle(): Promise<void>;
}

interface Batch<T> {
  items: T[];
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

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

export function createBatcher<T>(process: (items: T[]) => Promise<void>, maxBatch: number): Batcher<T> {
  // Items are assigned to batches as they arrive, and every item of a batch shares its promise (one promise per
  // batch, not per message).
  const waiting: Batch<T>[] = [];
  let running: Promise<void> | null = null;
  let scheduled = false;

  async function drain(): Promise<void> {
    for (let batch = waiting.shift(); batch; batch = waiting.shift()) {
      try {
        await process(batch.items);
        batch.resolve();
      } catch (err) {
        batch.reject(err);
      }
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
      last.items.push(item);
      kick();
      return last.done;
    },
    async idle() {
      while (running || scheduled || waiting.length) await (running ?? new Promise((r) => setImmediate(r)));
    },
  };
}
