import { readFileSync, statSync } from 'node:fs';

export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
}

const known = new Set<string>();

/** Values registered here are scrubbed from every log line. */
export function registerSecret(value: string): void {
  if (value.length >= 4) known.add(value);
}
export function knownSecrets(): ReadonlySet<string> {
  return known;
}

/**
 * Reads a secret from a file. Refuses files that group or others can read (like ssh does for keys), so a token
 * is never left world-readable by accident.
 */
export function readSecretFile(path: string): string {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new SecretFileError(
      `secret file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new SecretFileError(
      `secret file ${path} is readable by group/others (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  const value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (!value) throw new SecretFileError(`secret file ${path} is empty`);
  registerSecret(value);
  return value;
}
