import type { z } from 'zod';
import { isConfigError } from './config.ts';
import { EXIT_CODES } from './exitCodes.ts';
import { isPortInUseError } from './http.ts';
import { isSecretFileError } from './secrets.ts';
import {
  isStartupError,
  type RunningService,
  type ServiceDefinition,
  type StartOptions,
  startService,
} from './service.ts';

/** What stopped start-up: a signal. */
class StopRequested extends Error {
  override readonly name = 'StopRequested';
  readonly code = 'stop_requested';
}

/**
 * The process entry point of a service. Start-up failures are one line on stderr, no stack trace, with an exit code
 * saying whether a restart can help (EXIT_CODES): a configuration error (a field, the file, a secret file, database
 * or NATS credentials) exits 1, a port in use 3, anything else 2. The first SIGTERM/SIGINT stops it, even while it
 * is still starting (waiting for NATS, say): it drains and exits 0, within 10 s whatever happens (else exits 2).
 */
export async function runService<S extends z.ZodType>(
  def: ServiceDefinition<S>,
  opts: StartOptions = {},
): Promise<void> {
  const abort = new AbortController();
  let running: RunningService<z.output<S>> | undefined;
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    // One stop: a later signal (Ctrl-C reaches every process of the terminal, then `tocsin up` sends SIGTERM) waits.
    if (signalled) return;
    signalled = true;
    const force = setTimeout(() => {
      process.stderr.write(`${def.name}: stop took longer than 10 s; exiting\n`);
      process.exit(EXIT_CODES.failed);
    }, 10_000);
    force.unref();
    if (!running) {
      abort.abort(new StopRequested(signal));
      return;
    }
    const svc = running;
    svc.ctx.log.info({ signal }, 'stopping');
    svc.stop().then(
      () => process.exit(EXIT_CODES.ok),
      () => process.exit(EXIT_CODES.failed),
    );
  };
  // Installed before starting, so a signal during start-up stops it instead of killing the process.
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  try {
    running = await startService(def, { ...opts, signal: abort.signal });
  } catch (err) {
    if (err instanceof StopRequested) process.exit(EXIT_CODES.ok);
    const [code, line] =
      isConfigError(err) || isSecretFileError(err)
        ? [EXIT_CODES.config, err.message]
        : isPortInUseError(err)
          ? [EXIT_CODES.portInUse, err.message]
          : isStartupError(err)
            ? [EXIT_CODES.failed, `failed to start: ${err.message}`]
            : [EXIT_CODES.failed, `failed to start: ${(err as Error).stack ?? err}`];
    process.stderr.write(`${def.name}: ${line}\n`);
    process.exit(code);
  }
  // A signal that came as start-up finished.
  if (signalled) {
    signalled = false;
    shutdown('SIGTERM');
  }
}
