import type { Matcher } from '@tocsin/events';

export interface ActiveSilence {
  id: string;
  matchers: Matcher[];
  starts_at: number;
  ends_at: number;
}

const cache = new Map<string, RegExp>();
function anchored(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    cache.set(pattern, re);
  }
  return re;
}

/** Alertmanager semantics: every matcher must hold; regular expressions are anchored; a missing label is "". */
export function matchesAll(matchers: readonly Matcher[], labels: Record<string, string>): boolean {
  for (const m of matchers) {
    const v = labels[m.name] ?? '';
    const ok =
      m.op === '='
        ? v === m.value
        : m.op === '!='
          ? v !== m.value
          : m.op === '=~'
            ? anchored(m.value).test(v)
            : !anchored(m.value).test(v);
    if (!ok) return false;
  }
  return true;
}

/** Ids of the silences that mute these labels at `now`. */
export function silencedBy(
  silences: readonly ActiveSilence[],
  labels: Record<string, string>,
  now: number,
): string[] {
  return silences
    .filter((s) => s.starts_at <= now && now < s.ends_at && matchesAll(s.matchers, labels))
    .map((s) => s.id);
}

/** Checks a matcher list given by a user (bad regular expressions are refused up front). */
export function matcherProblems(matchers: readonly Matcher[]): string[] {
  const out: string[] = [];
  matchers.forEach((m, i) => {
    if (m.op === '=~' || m.op === '!~') {
      try {
        anchored(m.value);
      } catch (err) {
        out.push(`matchers.${i}.value: bad regular expression: ${(err as Error).message}`);
      }
    }
  });
  return out;
}
