import type { Matcher } from '@tocsin/events';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { since, time } from '../format.ts';
import type { Maintenance, MaintenanceWindow } from '../types.ts';
import { IncludeEnded, Load, useEnd } from '../ui.tsx';
import { MatcherLabels, MatcherRows } from './matchers.tsx';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Day = (typeof DAYS)[number];

/** The window's times in short (days as configured; chat's `$maintenance list` spells them out). */
function when(m: MaintenanceWindow): string {
  const t = m.times;
  if (t.weekly) return `${t.weekly.days.join(', ')} ${t.weekly.start}–${t.weekly.end} ${t.timezone}`;
  if (t.cron) return `cron ${t.cron} for ${(t.duration_s ?? 0) / 60} min (${t.timezone})`;
  return `${time(t.starts_at ?? m.created_at)} – ${time(t.ends_at ?? '')}`;
}

function NewWindow({ onDone }: { onDone: () => void }) {
  const [matchers, setMatchers] = useState<Matcher[]>([{ name: 'chain_id', op: '=', value: '' }]);
  const [weekly, setWeekly] = useState(true);
  const [days, setDays] = useState<Day[]>(['tue']);
  const [start, setStart] = useState('14:00');
  const [end, setEnd] = useState('15:00');
  const [timezone, setTimezone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  const [hours, setHours] = useState(2);
  const [reason, setReason] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    const times = weekly ? { weekly: { days, start, end }, timezone } : { duration_s: hours * 3600 };
    try {
      await api('/api/maintenance', { method: 'POST', body: { matchers, reason, ...times } });
      setReason('');
      onDone();
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  const toggle = (d: Day) => setDays(days.includes(d) ? days.filter((x) => x !== d) : [...days, d]);
  return (
    <form class="card" onSubmit={submit}>
      <h3>New maintenance window</h3>
      <MatcherRows matchers={matchers} setMatchers={setMatchers} />
      <div class="row">
        <label>
          <input type="radio" name="kind" checked={weekly} onChange={() => setWeekly(true)} /> weekly
        </label>
        <label>
          <input type="radio" name="kind" checked={!weekly} onChange={() => setWeekly(false)} /> once, from
          now
        </label>
      </div>
      {weekly ? (
        <div class="row">
          {DAYS.map((d) => (
            <label key={d}>
              <input type="checkbox" checked={days.includes(d)} onChange={() => toggle(d)} /> {d}
            </label>
          ))}
          <input
            type="time"
            aria-label="start"
            value={start}
            onInput={(e) => setStart(e.currentTarget.value)}
          />
          <input type="time" aria-label="end" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
          <input
            aria-label="time zone"
            placeholder="Europe/Zurich"
            value={timezone}
            onInput={(e) => setTimezone(e.currentTarget.value)}
          />
        </div>
      ) : (
        <div class="row">
          <input
            type="number"
            aria-label="hours"
            min={0.25}
            max={168}
            step={0.25}
            value={hours}
            onInput={(e) => setHours(Number(e.currentTarget.value))}
          />{' '}
          hours
        </div>
      )}
      <div class="row">
        <input
          class="grow"
          placeholder="reason"
          value={reason}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
        <button type="submit">Create</button>
      </div>
      {err ? <p class="bad">{err}</p> : null}
    </form>
  );
}

/** Maintenance windows: alerts they match are recorded, not notified; one summary when an occurrence ends. */
export function MaintenanceView({ authed }: { authed: boolean }) {
  const [all, setAll] = useState(false);
  const q = useApi<Maintenance>(`/api/maintenance?active=${!all}`, 30_000);
  const { err, end: endPath } = useEnd(q.reload);
  const end = (id: string) => endPath(`/api/maintenance/${encodeURIComponent(id)}`);
  const now = Date.now();
  return (
    <section>
      {authed ? (
        <NewWindow onDone={q.reload} />
      ) : (
        <p class="dim">Log in with the token link to create maintenance windows.</p>
      )}
      <IncludeEnded all={all} set={setAll} what="ended" />
      {err ? <p class="bad">{err}</p> : null}
      <Load q={q} what="maintenance windows (alerter)">
        {({ maintenances }) =>
          maintenances.length === 0 ? (
            <p class="dim">No maintenance windows.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>name</th>
                  <th>matchers</th>
                  <th>when</th>
                  <th>now / next</th>
                  <th>by</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {maintenances.map((m) => (
                  <tr key={m.id} class={m.ended_at ? 'dim' : ''}>
                    <td title={m.reason}>{m.name}</td>
                    <td>
                      <MatcherLabels matchers={m.matchers} />
                    </td>
                    <td>{when(m)}</td>
                    <td>
                      {m.active && m.next
                        ? `in maintenance, ends ${since(m.next.ends_at, now)}`
                        : m.next
                          ? `starts ${since(m.next.starts_at, now)}`
                          : 'over'}
                    </td>
                    <td>{m.author}</td>
                    <td>
                      {authed && !m.ended_at ? (
                        <button type="button" onClick={() => end(m.id)}>
                          End
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Load>
    </section>
  );
}
