/** How a service process ends. `tocsin up` reads these to decide whether a restart can help. */
export const EXIT_CODES = {
  /** Stopped on request (SIGINT/SIGTERM), cleanly. */
  ok: 0,
  /** Invalid configuration (a field, the file, a secret file, database credentials): a restart cannot help. */
  config: 1,
  /** Failed for another reason (a crash, a stop that hung): restarted with backoff. */
  failed: 2,
  /** The HTTP port is taken by another process: started again on another port by `tocsin up`. */
  portInUse: 3,
} as const;
