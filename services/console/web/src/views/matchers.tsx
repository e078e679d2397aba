import type { Matcher } from '@tocsin/events';

const OPS = ['=', '!=', '=~', '!~'] as const;

/** The label matchers of a silence or a maintenance window: one row each, + matcher, remove. */
export function MatcherRows({
  matchers,
  setMatchers,
}: {
  matchers: Matcher[];
  setMatchers: (m: Matcher[]) => void;
}) {
  const set = (i: number, m: Partial<Matcher>) =>
    setMatchers(matchers.map((x, j) => (j === i ? { ...x, ...m } : x)));
  return (
    <>
      {matchers.map((m, i) => (
        <div key={i} class="row">
          <input
            required
            placeholder="label"
            value={m.name}
            onInput={(e) => set(i, { name: e.currentTarget.value })}
          />
          <select value={m.op} onChange={(e) => set(i, { op: e.currentTarget.value as Matcher['op'] })}>
            {OPS.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
          <input
            placeholder="value"
            value={m.value}
            onInput={(e) => set(i, { value: e.currentTarget.value })}
          />
          {matchers.length > 1 ? (
            <button
              type="button"
              class="link"
              onClick={() => setMatchers(matchers.filter((_, j) => j !== i))}
            >
              remove
            </button>
          ) : null}
        </div>
      ))}
      <div class="row">
        <button
          type="button"
          class="link"
          onClick={() => setMatchers([...matchers, { name: '', op: '=', value: '' }])}
        >
          + matcher
        </button>
      </div>
    </>
  );
}

/** The label matchers of a silence or a maintenance window, as labels in a table cell. */
export function MatcherLabels({ matchers }: { matchers: Matcher[] }) {
  return (
    <>
      {matchers.map((m) => (
        <code key={`${m.name}${m.op}${m.value}`} class="label">
          {m.name}
          {m.op}
          {m.value}
        </code>
      ))}
    </>
  );
}
