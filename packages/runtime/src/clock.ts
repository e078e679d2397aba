/**
 * Time is injected, so everything with a duration (rules' `for`, group waits, expiry, a wait for a saved state) is
 * tested by moving a clock instead of sleeping. The one clock shape of tocsin: services, notifiers and simulators
 * take this.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A clock that moves only when told to; sleeping on it moves it by the time slept (and resolves at once). */
export class ManualClock implements Clock {
  constructor(private t: number = Date.parse('2026-01-01T00:00:00Z')) {}
  /** Bound, so `clock.now` can be handed on as a function. */
  readonly now = (): number => this.t;
  async sleep(ms: number): Promise<void> {
    this.advance(Math.max(0, ms));
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
  set(t: number | Date): void {
    this.t = typeof t === 'number' ? t : t.getTime();
  }
}
