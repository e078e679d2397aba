import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EXIT_CODES } from '@tocsin/runtime';
import { freePort } from './infrastructure.ts';

/** tsx's loader, resolved from here so children start whatever their working directory. */
const TSX = import.meta.resolve('tsx');

export interface ChildSpec {
  name: string;
  /** Entry file run with `node --import tsx`. */
  main: string;
  env: NodeJS.ProcessEnv;
  /** Node flags before the entry (the service's `node-options`, as its image runs it). */
  nodeArgs?: string[];
  /**
   * Its HTTP port (passed as TOCSIN_HTTP_PORT). The service binds it itself; if another process took it since it
   * was found free, the service exits EXIT_CODES.portInUse and is started again at once on another free port.
   */
  port?: number;
}

export interface SupervisorOptions {
  out?: NodeJS.WritableStream;
  /** Print JSON log lines compactly (`[service] level message`) instead of raw. */
  pretty?: boolean;
  /** Restarts allowed within a minute before the supervisor gives up on a service. */
  maxRestartsPerMinute?: number;
  /** A service started again on another port (its port was taken): what was printed with the old one is stale. */
  onPortChanged?(name: string, port: number): void;
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
  /** Services that will not run again (a configuration error, or too many crashes), with why. */
  readonly #gaveUp = new Map<string, 'config' | 'crashes'>();
  #allGaveUp!: (why: Map<string, 'config' | 'crashes'>) => void;
  /** Resolves when every service has exited for good (none left running or to restart). */
  readonly exhausted = new Promise<Map<string, 'config' | 'crashes'>>((resolve) => {
    this.#allGaveUp = resolve;
  });

  constructor(
    readonly specs: ChildSpec[],
    readonly opts: SupervisorOptions = {},
  ) {
    this.#out = opts.out ?? process.stdout;
  }

  start(): void {
    for (const s of this.specs) this.#spawn(s);
  }

  #giveUp(name: string, why: 'config' | 'crashes'): void {
    this.#gaveUp.set(name, why);
    if (this.#gaveUp.size === this.specs.length) this.#allGaveUp(this.#gaveUp);
  }

  #spawn(spec: ChildSpec): void {
    const env = spec.port === undefined ? spec.env : { ...spec.env, TOCSIN_HTTP_PORT: String(spec.port) };
    const child = spawn(process.execPath, [...(spec.nodeArgs ?? []), '--import', TSX, spec.main], {
      env,
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
      if (code === EXIT_CODES.config) {
        this.#out.write(`${spec.name.padEnd(17)}│ exited with a configuration error; not restarting\n`);
        this.#giveUp(spec.name, 'config');
        return;
      }
      if (recent.length > (this.opts.maxRestartsPerMinute ?? 5)) {
        this.#out.write(
          `${spec.name.padEnd(17)}│ crashed ${recent.length} times in a minute; giving up on it\n`,
        );
        this.#giveUp(spec.name, 'crashes');
        return;
      }
      if (code === EXIT_CODES.portInUse && spec.port !== undefined) {
        // Taken since it was found free (another stack on this machine): another port now, not a crash loop.
        const taken = spec.port;
        void freePort().then((port) => {
          if (this.#stopping) return;
          spec.port = port;
          this.#out.write(
            `${spec.name.padEnd(17)}│ port ${taken} was taken; starting again on http://127.0.0.1:${port}\n`,
          );
          this.opts.onPortChanged?.(spec.name, port);
          this.#spawn(spec);
        });
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
