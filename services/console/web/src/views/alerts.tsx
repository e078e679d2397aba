import type { Alert } from '@tocsin/events';
import { useEffect, useState } from 'preact/hooks';
import { canAck, type Status, status, upsert } from '../alertState.ts';
import { ApiError, api } from '../api.ts';
import { since } from '../format.ts';
import { Badge, Problem } from '../ui.tsx';

const TABS: Array<[string, (s: Status) => boolean]> = [
  ['active', (s) => s !== 'resolved'],
  ['firing', (s) => s === 'firing' || s === 'pending'],
  ['acknowledged', (s) => s === 'acknowledged'],
  ['silenced', (s) => s === 'silenced'],
  ['resolved', (s) => s === 'resolved'],
  ['all', () => true],
];

/**
 * The list, then every change pushed by the server over SSE (`event: alert`). The list is fetched again when the
 * stream reconnects (what changed meanwhile is in it), and every 10 s while it cannot be had (the alerter is
 * starting or down).
 */
function useLiveAlerts(): {
  alerts: Alert[] | null;
  error: ApiError | null;
  live: boolean;
  put: (a: Alert) => void;
} {
  const [alerts, setAlerts] = useState<Alert[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    let open = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let pushed = new Set<string>();
    const load = () => {
      clearTimeout(retry);
      // Versions pushed over SSE while the list was on its way are newer: they win.
      const since = new Set<string>();
      pushed = since;
      api<{ alerts: Alert[] }>('/api/alerts?limit=500').then(
        (r) => {
          if (!open) return;
          setError(null);
          setAlerts((old) =>
            r.alerts
              .filter((a) => !since.has(a.episode_id))
              .reduce(
                upsert,
                (old ?? []).filter((a) => since.has(a.episode_id)),
              ),
          );
        },
        (e: unknown) => {
          if (!open) return;
          setError(e instanceof ApiError ? e : new ApiError(0, 'network', String(e)));
          retry = setTimeout(load, 10_000);
        },
      );
    };
    load();
    let opened = false;
    const es = new EventSource('/api/stream');
    es.onopen = () => {
      setLive(true);
      if (opened) load();
      opened = true;
    };
    es.onerror = () => setLive(false);
    es.addEventListener('alert', (ev) => {
      const a = JSON.parse((ev as MessageEvent<string>).data) as Alert;
      pushed.add(a.episode_id);
      setAlerts((old) => upsert(old ?? [], a));
    });
    return () => {
      open = false;
      clearTimeout(retry);
      es.close();
    };
  }, []);
  return { alerts, error, live, put: (a) => setAlerts((old) => upsert(old ?? [], a)) };
}

export function AckButton({ alert, onDone }: { alert: Alert; onDone: (a: Alert) => void }) {
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<string | null>(null);
  const ack = async () => {
    setBusy(true);
    setErr(null);
    try {
      const r = await api<{ alert: Alert }>(`/api/alerts/${encodeURIComponent(alert.episode_id)}/ack`, {
        method: 'POST',
        body: {},
      });
      onDone(r.alert);
    } catch (e) {
      setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="ack" disabled={busy} onClick={ack}>
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </button>
      {err ? <span class="bad"> {err}</span> : null}
    </>
  );
}

export function AlertRow({ a, authed, put }: { a: Alert; authed: boolean; put: (a: Alert) => void }) {
  const s = status(a);
  return (
    <tr class={`alert ${s}`} data-episode={a.episode_id}>
      <td>
        <Badge kind={s}>{s}</Badge>
      </td>
      <td>
        <Badge kind={a.severity}>{a.severity}</Badge>
      </td>
      <td>
        <a href={`#/alert/${encodeURIComponent(a.episode_id)}`}>{a.summary}</a>
        <div class="dim small">
          {a.rule_id} · {a.source} · {a.chain_id}
          {a.acknowledged ? ` · acknowledged by ${a.acknowledged.by} ${since(a.acknowledged.at)}` : ''}
        </div>
      </td>
      <td class="when" title={a.started_at}>
        {since(a.started_at)}
      </td>
      <td>{authed && canAck(a) ? <AckButton alert={a} onDone={put} /> : null}</td>
    </tr>
  );
}

export function Alerts({ authed }: { authed: boolean }) {
  const { alerts, error, live, put } = useLiveAlerts();
  const [tab, setTab] = useState('active');
  const [text, setText] = useState('');
  if (error && !alerts) return <Problem error={error} what="the alerter (alert list)" />;
  const filter = TABS.find(([t]) => t === tab)![1];
  const needle = text.toLowerCase();
  const shown = (alerts ?? []).filter(
    (a) =>
      filter(status(a)) &&
      (!needle || `${a.summary} ${a.rule_id} ${a.source} ${a.chain_id}`.toLowerCase().includes(needle)),
  );
  const count = (f: (s: Status) => boolean) => (alerts ?? []).filter((a) => f(status(a))).length;
  return (
    <section>
      <div class="toolbar">
        {TABS.map(([t, f]) => (
          <button key={t} type="button" class={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)}>
            {t} <span class="dim">{count(f)}</span>
          </button>
        ))}
        <input placeholder="filter" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <span class={live ? 'ok small' : 'bad small'}>{live ? '● live' : '○ reconnecting'}</span>
      </div>
      {alerts === null ? (
        <p class="dim">Loading alerts…</p>
      ) : shown.length === 0 ? (
        <p class="dim">No {tab === 'all' ? '' : tab} alerts.</p>
      ) : (
        <table class="alerts">
          <tbody>
            {shown.map((a) => (
              <AlertRow key={a.episode_id} a={a} authed={authed} put={put} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
