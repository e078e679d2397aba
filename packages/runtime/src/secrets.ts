import { readFileSync, statSync } from 'node:fs';

export class SecretFileError extends Error {
  override readonly name = 'SecretFileError';
  readonly code = 'secret_file';
}

export function isSecretFileError(err: unknown): err is SecretFileError {
  return err instanceof SecretFileError;
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    // A compose file secret keeps its owner and mode on the host: a root-owned 0600 file is unreadable here.
    const uid = process.getuid?.();
    throw new SecretFileError(
      code === 'EACCES' && uid !== undefined
        ? `secret file ${path} cannot be read by this process (uid ${uid}): EACCES; make the file on the host owned by that user and keep mode 600, e.g. sudo chown ${uid} <file> (deploy/setup.sh creates them so)`
        : `secret file ${path} cannot be read: ${code}`,
    );
  }
  const value = text.replace(/\r?\n$/, '');
  if (!value) throw new SecretFileError(`secret file ${path} is empty`);
  registerSecret(value);
  return value;
}
