import type { Clock, Logger } from '@tocsin/runtime';

export interface PollTiming {
  pollIntervalMs: number;
  fastMs: number;
  fastWindowMs: number;
  slowMs: number;
  slowWindowMs: number;
}

/**
 * How long until the next poll. Phase changes at BeginBlock emit no Tx event, so around a spawn time the provider is
 * polled closely: a poll is due at the spawn time itself, then every `fastMs` for `fastWindowMs` after it, every
 * `slowMs` until `slowWindowMs` after it, then every `pollIntervalMs` (background) again.
 */
export function pollDelay(nowMs: number, spawnTimesMs: readonly number[], t: PollTiming): number {
  let delay = t.pollIntervalMs;
  for (const spawn of spawnTimesMs) {
    const since = nowMs - spawn;
    if (since < 0) delay = Math.min(delay, -since);
    else if (since < t.fastWindowMs) delay = Math.min(delay, t.fastMs);
    else if (since < t.slowWindowMs) delay = Math.min(delay, t.slowMs);
  }
  return delay;
}

/** Longest real wait between looks at the injected clock, so a clock moved by a test is noticed within it. */
const MAX_REAL_WAIT_MS = 250;

/** Polls at `pollDelay` of the injected clock; the next delay is computed after each poll ends. */
export function schedulePolls(opts: {
  clock: Clock;
  log: Logger;
  delay(nowMs: number): number;
  poll(): Promise<void>;
}): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const plan = (dueMs: number) => {
    if (stopped) return;
    timer = setTimeout(
      async () => {
        if (stopped) return;
        if (opts.clock.now() < dueMs) return plan(dueMs);
        try {
          await opts.poll();
        } catch (err) {
          opts.log.error({ err: String(err) }, 'poll failed');
        }
        const now = opts.clock.now();
        plan(now + opts.delay(now));
      },
      Math.min(MAX_REAL_WAIT_MS, Math.max(0, dueMs - opts.clock.now())),
    );
    timer.unref();
  };
  plan(opts.clock.now());
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
