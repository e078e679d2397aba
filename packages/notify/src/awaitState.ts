import { type Clock, systemClock } from '@tocsin/runtime';

export interface AwaitStateOptions {
  /** When the message was posted (ms): its state is saved only after every part of it has been posted. */
  postedAt: number;
  /** How the wait tells time (injected: tests move it); the system clock by default. */
  clock?: Clock;
  /** How long after posting a message may still be waiting for its state (a card of several parts at a channel's rate). */
  patienceMs?: number;
  everyMs?: number;
}

/**
 * The stored state of a message a user just clicked: a notifier saves it once the message (all its parts) is
 * posted, so a click on a message posted moments ago may come first. Looks again every `everyMs` while the message is
 * younger than `patienceMs`; null when there is none by then (or at once for an older message: it is gone).
 */
export async function awaitState<T>(
  lookup: () => Promise<T | null>,
  opts: AwaitStateOptions,
): Promise<T | null> {
  const clock = opts.clock ?? systemClock;
  const patience = opts.patienceMs ?? 30_000;
  const every = opts.everyMs ?? 250;
  for (;;) {
    const found = await lookup();
    if (found !== null) return found;
    if (clock.now() - opts.postedAt >= patience) return null;
    await clock.sleep(every);
  }
}
