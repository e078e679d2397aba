/**
 * Gathers messages handled concurrently by the consume loop into batches: each message's handler resolves when
 * the batch that contains it is committed (then the loop acks it), or rejects when that batch failed (then the
 * loop naks it and JetStream redelivers). One batch is processed at a time. When a batch fails for a reason that is
 * not an outage (`isolate`), its items are applied one by one, so one bad message fails (and is eventually
 * dead-lettered) alone instead of taking its batch with it.
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
  process: (items: T[]) => Promise<void>,
  maxBatch: number,
  opts: { isolate?(err: unknown): boolean } = {},
): Batcher<T> {
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
        if (batch.items.length < 2 || opts.isolate?.(err) === false) {
          batch.reject(err);
          continue;
        }
        const failed = new Map<number, unknown>();
        for (const [i, item] of batch.items.entries()) {
          try {
            await process([item]);
          } catch (e) {
            failed.set(i, e);
          }
        }
        batch.failed = failed;
        if (failed.size) batch.reject(ISOLATED);
        else batch.resolve();
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
      const batch = last;
      const index = batch.items.push(item) - 1;
      kick();
      return batch.done.catch((err) => {
        if (err !== ISOLATED) throw err;
        if (batch.failed?.has(index)) throw batch.failed.get(index);
      });
    },
    async idle() {
      while (running || scheduled || waiting.length) await (running ?? new Promise((r) => setImmediate(r)));
    },
  };
}
