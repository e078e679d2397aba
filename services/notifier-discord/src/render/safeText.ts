/** U+200D ZERO WIDTH JOINER: invisible, and enough to stop Discord from reading a mention. */
const ZWJ = '\u200d';

/**
 * The one place Discord text from outside (command arguments, alert summaries, labels and chain ids built from
 * chain data, silence matchers, notes, user names) is made inert: `@everyone`, `@here`, `<@…>`, `<@!…>`, `<@&…>`,
 * `<#…>` and `</command:…>` get a zero-width joiner so Discord shows them as text. Messages also carry
 * `allowed_mentions` naming only the configured and subscribed users and roles (belt and braces).
 */
export function neutralise(text: string): string {
  return text.replace(/@(everyone|here)/gi, `@${ZWJ}$1`).replace(/<(?=[@#/])/g, `<${ZWJ}`);
}

/** Every string in a value neutralised (for whole alerts and command replies before they are rendered). */
export function neutraliseAll<T>(value: T): T {
  if (typeof value === 'string') return neutralise(value) as T;
  if (Array.isArray(value)) return value.map(neutraliseAll) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [neutralise(k), neutraliseAll(v)])) as T;
  }
  return value;
}
