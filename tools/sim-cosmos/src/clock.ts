/** Milliseconds since the Unix epoch. Injected so tests and benches move time without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A clock that only moves when told to. */
export class ManualClock {
  private current: number;

  constructor(startMs: number = Date.parse('2025-06-01T12:00:00Z')) {
    this.current = startMs;
  }

  readonly now: Clock = () => this.current;

  advance(ms: number): number {
    this.current += ms;
    return this.current;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
