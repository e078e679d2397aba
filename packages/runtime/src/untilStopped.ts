/**
 * Resolves on the first SIGINT or SIGTERM, or when `signal` aborts (at once if it already has): how a long-running
 * command (a simulator, the stack) waits for its end. Its listeners are removed once it resolves.
 */
export function untilStopped(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop);
  });
}
