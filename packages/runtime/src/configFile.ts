import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from './configError.ts';

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
};

/**
 * Reads the deployment's YAML file into a mapping. Every way it can fail is one ConfigError line naming the file
 * (and, for a syntax error, `file:line:col`): missing or unreadable, not YAML, or not a mapping at the top.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw ConfigError.file(file, `cannot read ${file}: ${READ_ERRORS[code] ?? (err as Error).message}`);
  }
  // logLevel 'error': yaml would otherwise print its warnings on stderr; an unresolved tag (`!foo`) is refused here instead.
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: 'error' });
  const [error] = [...doc.errors, ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    // yaml's message ends with its own " at line L, column C:" and a code excerpt: the position is in front.
    const reason = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw ConfigError.file(file, `${where}: not valid YAML: ${reason}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw ConfigError.file(file, `${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw ConfigError.file(
      file,
      `${file}: the top level must be a mapping of settings (key: value), not ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`,
    );
  return value as Record<string, unknown>;
}
