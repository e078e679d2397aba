import type { Matcher } from '@tocsin/events';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { since, time } from '../format.ts';
import type { Silence } from '../types.ts';
import { IncludeEnded, Load, useEnd } from '../ui.tsx';
import { MatcherLabels, MatcherRows } from './matchers.tsx';

const DURATIONS: Array<[string, number]> = [
  ['1 hour', 3600],
  ['4 hours', 4 * 3600],
  ['1 day', 86400],
  ['1 week', 7 * 86400],
];

/** `rule=x&chain_id=y` (the alert page's "Silence…" link) → one `=` matcher per label. */
function prefilled(prefill: string | undefined): Matcher[] {
  const ms = [...new URLSearchParams(prefill ?? '')].map(
    ([name, value]): Matcher => ({ name, op: '=', value }),
  );
  return ms.length ? ms : [{ name: 'rule', op: '=', value: '' }];
}

function NewSilence({ onDone, prefill }: { onDone: () => void; prefill?: string }) {
  const [matchers, setMatchers] = useState<Matcher[]>(() => prefilled(prefill));
  const [duration, setDuration] = useState(3600);
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      await api('/api/silences', { method: 'POST', body: { matchers, duration_s: duration, reason } });
      setMatchers([{ name: 'rule', op: '=', value: '' }]);
      setReason('');
      onDone();
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  return (
    <form class="card" onSubmit={submit}>
      <h3>New silence</h3>
      <MatcherRows matchers={matchers} setMatchers={setMatchers} />
      <div class="row">
        <select value={duration} onChange={(e) => setDuration(Number(e.currentTarget.value))}>
          {DURATIONS.map(([label, s]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </select>
        <input
          class="grow"
          placeholder="reason"
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <button type="submit">Silence</button>
      </div>
      {err ? <p class="bad">{err}</p> : null}
    </form>
  );
}

export function Silences({ authed, prefill }: { authed: boolean; prefill?: string }) {
  const [all, setAll] = useState(false);
  const q = useApi<{ silences: Silence[] }>(`/api/silences?active=${!all}`, 30_000);
  const { err, end: endPath } = useEnd(q.reload);
  const expire = (id: string) => endPath(`/api/silences/${encodeURIComponent(id)}`);
  const now = Date.now();
  return (
    <section>
      {authed ? (
        <NewSilence key={prefill} onDone={q.reload} prefill={prefill} />
      ) : (
        <p class="dim">Log in with the token link to create silences.</p>
      )}
      <IncludeEnded all={all} set={setAll} what="expired" />
      {err ? <p class="bad">{err}</p> : null}
      <Load q={q} what="silences (alerter)">
        {({ silences }) =>
          silences.length === 0 ? (
            <p class="dim">No silences.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>matchers</th>
                  <th>reason</th>
                  <th>by</th>
                  <th>ends</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {silences.map((s) => {
                  const active = Date.parse(s.ends_at) > now && Date.parse(s.starts_at) <= now;
                  return (
                    <tr key={s.id} class={active ? '' : 'dim'}>
                      <td>
                        <MatcherLabels matchers={s.matchers} />
                      </td>
                      <td>{s.reason}</td>
                      <td>{s.author}</td>
                      <td title={time(s.ends_at)}>{since(s.ends_at, now)}</td>
                      <td>
                        {authed && active ? (
                          <button type="button" onClick={() => expire(s.id)}>
                            Expire
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </Load>
    </section>
  );
}
