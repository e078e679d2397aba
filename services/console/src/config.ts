import { interval, positiveDuration } from '@tocsin/runtime';
import { z } from 'zod';

/** The `console:` section of the configuration. Durations accept "5s", "1m" or seconds. */
export const consoleConfig = z.strictObject({
  /**
   * File holding the login token for the write routes (ack, silences): mode 600, refused when group/others can
   * read it. Without it the console is read-only and writes answer 401 saying how to set it.
   */
  token_file: z.string().min(1).optional(),
  /** Who acknowledgements and silences made in the console are recorded as (`user:<actor>`). */
  actor: z
    .string()
    .regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits and _ . @ - (at most 64), e.g. console or ops-team')
    .default('console'),
  /** How long a call to a service waits for its answer before the route answers 503. */
  rpc_timeout: positiveDuration.default(5_000),
  /** A comment line on every open live stream (`/api/stream`) this often, so proxies keep it open. */
  stream_heartbeat: interval.default(15_000),
  /** The built dashboard (`pnpm --filter @tocsin/console build`); default: services/console/web/dist. */
  web_dir: z.string().min(1).optional(),
});
export type ConsoleConfig = z.output<typeof consoleConfig>;
