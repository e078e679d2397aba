import type { Alert } from '@tocsin/events';
import { useEffect, useState } from 'preact/hooks';
import { status } from '../alertState.ts';
import { useApi } from '../api.ts';
import { time } from '../format.ts';
import type { AlertWithTimeline } from '../types.ts';
import { Badge, Load } from '../ui.tsx';
import { AckButton } from './alerts.tsx';

const detailText = (d: Record<string, unknown>): string =>
  Object.entries(d ?? {})
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');

/** One episode: its labels and what happened to it (fired, repeated, escalated, acknowledged, resolved…). */
export function AlertDetail({ id, authed }: { id: string; authed: boolean }) {
  const q = useApi<AlertWithTimeline>(`/api/alerts/${encodeURIComponent(id)}`, 15_000);
  const [acked, setAcked] = useState<Alert | null>(null);
  useEffect(() => setAcked(null), [q.data]);
  return (
    <section>
      <p>
        <a href="#/alerts">← alerts</a>
      </p>
      <Load q={q} what="the alerter (this alert)">
        {({ alert: fetched, timeline }) => {
          const a = acked ?? fetched;
          const s = status(a);
          return (
            <>
              <h2>
                <Badge kind={s}>{s}</Badge> <Badge kind={a.severity}>{a.severity}</Badge> {a.summary}
              </h2>
              {a.description ? <p>{a.description}</p> : null}
              {authed && a.state !== 'resolved' ? (
                <p>
                  {!a.acknowledged ? (
                    <AckButton
                      alert={a}
                      onDone={(x) => {
                        setAcked(x);
                        q.reload();
                      }}
                    />
                  ) : null}{' '}
                  <a
                    href={`#/silences/${encodeURIComponent(new URLSearchParams({ rule: a.rule_id, chain_id: a.chain_id }).toString())}`}
                  >
                    Silence this rule on {a.chain_id}…
                  </a>
                </p>
              ) : null}
              <table class="kv">
                <tbody>
                  <tr>
                    <th>rule</th>
                    <td>{a.rule_id}</td>
                  </tr>
                  <tr>
                    <th>source · chain</th>
                    <td>
                      {a.source} · {a.chain_id}
                    </td>
                  </tr>
                  <tr>
                    <th>started · resolved</th>
                    <td>
                      {time(a.started_at)} · {time(a.resolved_at)}
                    </td>
                  </tr>
                  {a.value !== null ? (
                    <tr>
                      <th>value</th>
                      <td>{a.value}</td>
                    </tr>
                  ) : null}
                  {a.acknowledged ? (
                    <tr>
                      <th>acknowledged</th>
                      <td>
                        by {a.acknowledged.by} at {time(a.acknowledged.at)}
                      </td>
                    </tr>
                  ) : null}
                  {a.silenced_by.length ? (
                    <tr>
                      <th>silenced by</th>
                      <td>{a.silenced_by.join(', ')}</td>
                    </tr>
                  ) : null}
                  <tr>
                    <th>labels</th>
                    <td>
                      {Object.entries(a.labels).map(([k, v]) => (
                        <code key={k} class="label">
                          {k}={v}
                        </code>
                      ))}
                    </td>
                  </tr>
                  {a.links.length ? (
                    <tr>
                      <th>links</th>
                      <td>
                        {a.links.map((l) => (
                          <a key={l.url} href={l.url} rel="noreferrer" target="_blank">
                            {l.title}{' '}
                          </a>
                        ))}
                      </td>
                    </tr>
                  ) : null}
                </tbody>
              </table>
              <h3>Timeline</h3>
              <ol class="timeline">
                {timeline.map((t, i) => (
                  <li key={i}>
                    <span class="dim">{time(t.at)}</span> <strong>{t.kind}</strong>{' '}
                    <span class="small">{detailText(t.detail)}</span>
                  </li>
                ))}
              </ol>
            </>
          );
        }}
      </Load>
    </section>
  );
}
