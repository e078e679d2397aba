import { type Provider, renderText } from '@tocsin/notify';

/** Human-readable notifications on a stream (stdout in the demo). */
export function consoleProvider(out: NodeJS.WritableStream = process.stdout): Provider {
  return {
    name: 'console',
    routes: () => ['stdout'],
    async deliver({ notification }) {
      out.write(`${renderText(notification)}\n`);
      return { ref: null };
    },
  };
}
