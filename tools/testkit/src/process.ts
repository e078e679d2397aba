import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Service processes a test starts (a script run with tsx, the way services are deployed), killed at the end.
 * `start` resolves once the process printed `ready` on stdout (log level info: e.g. `notifier-slack started`),
 * and rejects if it exits first or has not printed it within `timeoutMs` (the error says which, with its output).
 */
export class TestProcesses {
  readonly #children = new Set<ChildProcess>();

  start(
    script: string,
    opts: { env: NodeJS.ProcessEnv; ready: string; timeoutMs?: number },
  ): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: opts.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      // Accumulated: a line may arrive split across two chunks.
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${script} did not print "${opts.ready}" within ${timeoutMs} ms: ${out}`)),
        timeoutMs,
      );
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes(opts.ready)) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited early (${code}): ${out}`));
      });
    });
  }

  /** kill -9, resolved once it is gone. */
  async kill9(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (a clean stop), resolved with the exit code. */
  async stop(child: ChildProcess): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  }

  /** Kills whatever still runs (afterAll). */
  killAll(): void {
    for (const c of this.#children) c.kill('SIGKILL');
  }
}
