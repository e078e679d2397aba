/** An append-only log that tests can read or wait on; each fake keeps one per kind of thing it records. */
export interface RequestLog<T> {
  push(entry: T): void;
  all(): T[];
  /** Resolves with the `count`-th entry matching `predicate`, counting entries already recorded. */
  waitFor(predicate: (entry: T) => boolean, count?: number): Promise<T>;
  clear(): void;
}

export function createRequestLog<T>(): RequestLog<T> {
  let entries: T[] = [];
  let waiters: { predicate: (entry: T) => boolean; count: number; resolve: (entry: T) => void }[] = [];

  function settle(waiter: (typeof waiters)[number]): boolean {
    const matching = entries.filter(waiter.predicate);
    const hit = matching[waiter.count - 1];
    if (hit === undefined) return false;
    waiter.resolve(hit);
    return true;
  }

  return {
    push(entry) {
      entries.push(entry);
      waiters = waiters.filter((w) => !settle(w));
    },
    all: () => [...entries],
    waitFor(predicate, count = 1) {
      return new Promise((resolve) => {
        const waiter = { predicate, count, resolve };
        if (!settle(waiter)) waiters.push(waiter);
      });
    },
    clear() {
      entries = [];
    },
  };
}
