/** A fault waiting to be served: it answers the next `times` requests its matcher accepts. */
export interface FaultHandle {
  /** How many more requests this fault will answer (Infinity for a permanent fault). */
  readonly remaining: number;
  /** Withdraws the fault. */
  clear(): void;
}

interface Entry<M, F> {
  matcher: M;
  fault: F;
  remaining: number;
}

export interface FaultBook<M, R, F> {
  add(matcher: M, fault: F, times: number): FaultHandle;
  /** The fault for this request, if any, consuming one use of it. Earlier faults win. */
  take(request: R): F | undefined;
  clear(): void;
}

export function createFaultBook<M, R, F>(matches: (matcher: M, request: R) => boolean): FaultBook<M, R, F> {
  let entries: Entry<M, F>[] = [];
  return {
    add(matcher, fault, times) {
      const entry: Entry<M, F> = { matcher, fault, remaining: times };
      entries.push(entry);
      return {
        get remaining() {
          return entry.remaining;
        },
        clear() {
          entry.remaining = 0;
          entries = entries.filter((e) => e !== entry);
        },
      };
    },
    take(request) {
      const entry = entries.find((e) => e.remaining > 0 && matches(e.matcher, request));
      if (!entry) return undefined;
      entry.remaining--;
      if (entry.remaining <= 0) entries = entries.filter((e) => e !== entry);
      return entry.fault;
    },
    clear() {
      entries = [];
    },
  };
}
