/**
 * Runs work for notifications in arrival order per episode, while unrelated notifications run concurrently: a
 * resolve handled alongside its own firing would find no message to edit. A grouped notification waits for
 * everything queued before it on any of its episodes.
 */
export function episodeOrder() {
  const tails = new Map<string, Promise<void>>();
  return {
    run<T>(episodes: string[], fn: () => Promise<T>): Promise<T> {
      const before = episodes.map((e) => tails.get(e)).filter((p): p is Promise<void> => p !== undefined);
      const result = before.length ? Promise.all(before).then(fn) : fn();
      const done = result.then(
        () => undefined,
        () => undefined,
      );
      for (const e of episodes) tails.set(e, done);
      void done.then(() => {
        for (const e of episodes) if (tails.get(e) === done) tails.delete(e);
      });
      return result;
    },
    /** Episodes with work queued or running (for tests). */
    get size() {
      return tails.size;
    },
  };
}
