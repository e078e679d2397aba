import { useEffect, useState } from 'preact/hooks';
import { useApi } from '../api.ts';
import { duration, time } from '../format.ts';
import type { IcsConsumers } from '../types.ts';
import { Badge, Load } from '../ui.tsx';

/** Seconds until spawn, counting down between fetches. */
function Countdown({ at }: { at: string | null }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  if (!at) return <>—</>;
  const s = (Date.parse(at) - now) / 1000;
  return <span title={time(at)}>{s > 0 ? `in ${duration(s)}` : `${duration(s)} ago`}</span>;
}

/** Our duty towards a consumer, as the chat commands word it (the alerts say the same with severities). */
function duty(c: IcsConsumers['consumers'][number]): [string, string] {
  if (c.ours_opted_in === null) return ['dim', '—'];
  if (c.ours_opted_in === false && c.phase === 'INITIALIZED') return ['bad', 'ours not opted in'];
  if (c.ours_opted_in && c.ours_key_assigned === false && c.phase !== 'LAUNCHED')
    return ['bad', 'ours: no consumer key'];
  if (c.ours_opted_in) return ['ok', 'ours opted in'];
  return ['dim', 'not opted in'];
}

export function Ics() {
  const q = useApi<IcsConsumers>('/api/ics/consumers', 30_000);
  return (
    <section>
      <Load q={q} what="ICS consumers (ics-ccv)">
        {(r) =>
          !r.available ? (
            <p class="note">{r.provider_chain_id} has no ICS provider module.</p>
          ) : (
            <>
              <p class="dim small">
                provider {r.provider_chain_id} at height {r.height ?? '—'} · our validator{' '}
                {r.our_validator ?? 'none'}
              </p>
              <table>
                <thead>
                  <tr>
                    <th>consumer</th>
                    <th>phase</th>
                    <th>spawn</th>
                    <th class="num">opted in</th>
                    <th>our duty</th>
                  </tr>
                </thead>
                <tbody>
                  {r.consumers.map((c) => {
                    const [kind, text] = duty(c);
                    return (
                      <tr key={c.consumer_id}>
                        <td>
                          {c.name || c.chain_id}{' '}
                          <span class="dim small">
                            #{c.consumer_id} · {c.chain_id}
                          </span>
                        </td>
                        <td>
                          <Badge kind="phase">{c.phase.toLowerCase()}</Badge>
                        </td>
                        <td>
                          {c.phase === 'INITIALIZED' || c.phase === 'REGISTERED' ? (
                            <Countdown at={c.spawn_time} />
                          ) : (
                            time(c.spawn_time)
                          )}
                        </td>
                        <td class="num">{c.opted_in}</td>
                        <td class={kind}>{text}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          )
        }
      </Load>
    </section>
  );
}
