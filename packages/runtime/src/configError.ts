/**
 * Invalid configuration: the process prints it and exits 1 (EXIT_CODES.config). Field problems are one line each
 * under a heading naming the source; a problem with the file itself (missing, not YAML) is one line.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(
    readonly source: string,
    readonly issues: string[],
    summary?: string,
  ) {
    super(summary ?? `invalid configuration (${source}):\n${issues.map((i) => `  ${i}`).join('\n')}`);
  }

  /** A problem with the file as a whole, said in one line (which names the file). */
  static file(source: string, line: string): ConfigError {
    return new ConfigError(source, [line], line);
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError;
}
