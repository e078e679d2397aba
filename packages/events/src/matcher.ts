import { z } from 'zod';

/** A label matcher, as silences, maintenance windows and routes take them (Alertmanager's four operators). */
export const matcher = z.object({
  name: z.string().min(1),
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string(),
});
export type Matcher = z.infer<typeof matcher>;

/**
 * Matchers as they are typed in a chat command or the CLI (`chain_id=osmosis-1 rule=~"ibc .*"`): a value is quoted
 * only when it is empty or holds a space, so each matcher reads back through the same parser.
 */
export function formatMatchers(ms: readonly Matcher[]): string {
  return ms
    .map((m) => `${m.name}${m.op}${/^$|\s/.test(m.value) ? JSON.stringify(m.value) : m.value}`)
    .join(' ');
}
