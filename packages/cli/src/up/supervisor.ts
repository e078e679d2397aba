import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** tsx's loader, resolved from here so children start whatever their working directory. */
const TSX = import.meta.resolve('tsx');

export interface ChildSpec {
  name: string;
  /** Entry file run with `node --import tsx`. */
  main: string;
  env: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  out?: NodeJS.WritableStream;
  /** Print JSON log lines compactly (`[service] level message`) instead of raw. */
  pretty?: boolean;
  /** Restarts allowed within a minute before the supervisor gives up on a service. */
  maxRestartsPerMinute?: number;
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function prettyLine(name: string, line: string): string {
  if (!line.startsWith('{')) return `${name.padEnd(17)}│ ${line}`;
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { level, msg, time: _t, service: _s, instance: _i, pid: _p, hostname: _h, ...rest } = o;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${name.padEnd(17)}│ ${(LEVELS[level as number] ?? level) as string} ${msg ?? ''}${extra}`;
  } catch {
    return `${name.padEnd(17)}│ ${line}`;
  }
}

/** Runs services as child processes, restarts crashed ones with backoff, stops them all on request. */
export class Supervisor {
  readonly #children = new Map<string, ChildProcess>();
  readonly #restarts = new Map<string, number[]>();
  #stopping = false;
  readonly #out: NodeJS.WritableStream;

  constructor(
    readonly specs: ChildSpec[],
    readonly opts: SupervisorOptions = {},
  ) {
    this.#out = opts.out ?? process.stdout;
  }

  start(): void {
    for (const s of this.specs) this.#spawn(s);
  }

  #spawn(spec: ChildSpec): void {
    const child = spawn(process.execPath, ['--import', TSX, spec.main], {
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#children.set(spec.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.#out.write(
          `${this.opts.pretty ? prettyLine(spec.name, line) : `${spec.name.padEnd(17)}│ ${line}`}\n`,
        );
      });
    }
    child.on('exit', (code, signal) => {
      this.#children.delete(spec.name);
      if (this.#stopping) return;
      const now = Date.now();
      const recent = (this.#restarts.get(spec.name) ?? []).filter((t) => now - t < 60_000);
      recent.push(now);
      this.#restarts.set(spec.name, recent);
      if (code === 1) {
        this.#out.write(`${spec.name.padEnd(17)}│ exited with a configuration error; not restarting\n`);
        return;
      }
      if (recent.length > (this.opts.maxRestartsPerMinute ?? 5)) {
        this.#out.write(
          `${spec.name.padEnd(17)}│ crashed ${recent.length} times in a minute; giving up on it\n`,
        );
        return;
      }
      const delay = Math.min(10_000, 500 * 2 ** (recent.length - 1));
      this.#out.write(`${spec.name.padEnd(17)}│ exited (${signal ?? code}); restarting in ${delay} ms\n`);
      setTimeout(() => !this.#stopping && this.#spawn(spec), delay).unref();
    });
  }

  running(): string[] {
    return [...this.#children.keys()];
  }

  /** SIGTERM to every child (they drain within 10 s), SIGKILL to any still alive after graceMs. */
  async stop(graceMs = 11_000): Promise<void> {
    this.#stopping = true;
    const waits = [...this.#children.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          const kill = setTimeout(() => c.kill('SIGKILL'), graceMs);
          c.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          c.kill('SIGTERM');
        }),
    );
    await Promise.all(waits);
  }
}
