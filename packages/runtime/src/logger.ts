import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { knownSecrets } from './secrets.ts';

export type { Logger };

/** Field names whose values never reach a log line, wherever they appear. */
export const REDACT_PATHS = [
  'token',
  'password',
  'secret',
  'signing_secret',
  'webhook_url',
  'authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.signing_secret',
  '*.webhook_url',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
];

function scrub(line: string): string {
  let out = line;
  for (const s of knownSecrets()) if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  return out;
}

/** A stream that removes registered secret values from each line before it is written. */
export function scrubbingStream(dest: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      dest.write(scrub(chunk.toString()));
      cb();
    },
  });
}

export function createLogger(opts: {
  service: string;
  instance: string;
  level?: string;
  dest?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.TOCSIN_LOG_LEVEL ?? 'info',
      base: { service: opts.service, instance: opts.instance },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    scrubbingStream(opts.dest ?? process.stdout),
  );
}
