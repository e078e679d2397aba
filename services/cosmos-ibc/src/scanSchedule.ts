import type { Clock, Logger } from '@tocsin/runtime';

/** Longest real wait between looks at the clock, so a clock that jumps is noticed within a minute. */
const MAX_WAIT_MS = 60_000;

/**
 * Scans each chain at start and then every `intervalMs` of the injected clock. A scan that fails is logged and
 * the next one is still scheduled; the interval counts from the end of the previous scan.
 */
export function scheduleScans(opts: {
  clock: Clock;
  log: Logger;
  chains: { chainId: string; intervalMs: number }[];
  scan(chainId: string): Promise<unknown>;
}): { stop(): void } {
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;
  const plan = (chainId: string, dueMs: number) => {
    if (stopped) return;
    const wait = Math.min(MAX_WAIT_MS, Math.max(0, dueMs - opts.clock.now()));
    const timer = setTimeout(async () => {
      if (stopped) return;
      if (opts.clock.now() < dueMs) return plan(chainId, dueMs);
      try {
        await opts.scan(chainId);
      } catch (err) {
        opts.log.error({ chain_id: chainId, err: String(err) }, 'scan failed');
      }
      const interval = opts.chains.find((c) => c.chainId === chainId)!.intervalMs;
      plan(chainId, opts.clock.now() + interval);
    }, wait);
    timer.unref();
    timers.set(chainId, timer);
  };
  for (const c of opts.chains) plan(c.chainId, opts.clock.now());
  return {
    stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
    },
  };
}
