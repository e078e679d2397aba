import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the total once known (or when it grows). */
  total(n: number): void;
  tick(n?: number): void;
  /** Sets how much is done. */
  set(value: number): void;
  stop(): void;
}

const none: Progress = { total() {}, tick() {}, set() {}, stop() {} };

/**
 * A progress bar on stderr for long work (replay, export), drawn only when stderr is a terminal: stdout may be the
 * file being written (`events export > file.jsonl`) or a pipe into a script, and neither gets bar characters.
 */
export function progress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return none;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let value = 0;
  return {
    total(n) {
      if (!started) {
        bar.start(n, value);
        started = true;
      } else bar.setTotal(n);
    },
    tick(n = 1) {
      value += n;
      if (started) bar.update(value);
    },
    set(v) {
      value = v;
      if (started) bar.update(value);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
