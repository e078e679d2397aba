/** One holder per key at a time, in arrival order; `contended` says whether someone held it before us. */
export function keyedLock() {
  const tails = new Map<string, Promise<void>>();
  return async (key: string): Promise<{ release: () => void; contended: boolean }> => {
    const before = tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = (before ?? Promise.resolve()).then(() => mine);
    tails.set(key, tail);
    await before;
    return {
      contended: before !== undefined,
      release: () => {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      },
    };
  };
}
