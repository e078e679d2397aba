import { useState } from 'preact/hooks';
import { useApi } from '../api.ts';
import { duration, since } from '../format.ts';
import type { IbcClient, IbcClients } from '../types.ts';
import { Load } from '../ui.tsx';

/** Colour band by the share of the trusting period already used. */
export function band(c: IbcClient): string {
  if (c.status === 'Expired' || c.status === 'Frozen') return 'band-dead';
  const r = c.elapsed_ratio;
  if (r === null) return '';
  if (r >= 0.9) return 'band-red';
  if (r >= 2 / 3) return 'band-orange';
  if (r >= 1 / 3) return 'band-yellow';
  return 'band-green';
}

type Key = 'chain_id' | 'client_id' | 'counterparty_chain_id' | 'status' | 'remaining_s' | 'elapsed_ratio';
const COLUMNS: Array<[Key, string]> = [
  ['chain_id', 'chain'],
  ['client_id', 'client'],
  ['counterparty_chain_id', 'counterparty'],
  ['status', 'status'],
  ['remaining_s', 'time to expiry'],
  ['elapsed_ratio', 'trusting period used'],
];

function compare(a: IbcClient, b: IbcClient, key: Key): number {
  const x = a[key];
  const y = b[key];
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
}

export function Ibc() {
  const q = useApi<IbcClients>('/api/ibc/clients', 30_000);
  const [sort, setSort] = useState<{ key: Key; desc: boolean }>({ key: 'remaining_s', desc: false });
  const [text, setText] = useState('');
  const by = (key: Key) => setSort((s) => ({ key, desc: s.key === key ? !s.desc : false }));
  return (
    <section>
      <div class="toolbar">
        <input placeholder="filter" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <span class="legend small">
          <span class="band-green">&lt; ⅓ used</span> <span class="band-yellow">⅓–⅔</span>{' '}
          <span class="band-orange">⅔–90%</span> <span class="band-red">≥ 90%</span>{' '}
          <span class="band-dead">expired / frozen</span>
        </span>
      </div>
      <Load q={q} what="IBC clients (cosmos-ibc)">
        {({ clients, scanned_at, total }) => {
          const needle = text.toLowerCase();
          const rows = clients
            .filter(
              (c) =>
                !needle ||
                `${c.chain_id} ${c.client_id} ${c.counterparty_chain_id}`.toLowerCase().includes(needle),
            )
            .sort((a, b) => (sort.desc ? -1 : 1) * compare(a, b, sort.key));
          return (
            <>
              <p class="dim small">
                {clients.length}
                {total !== undefined && total > clients.length ? ` of ${total}` : ''} clients · scanned{' '}
                {since(scanned_at)}
              </p>
              <table class="sortable">
                <thead>
                  <tr>
                    {COLUMNS.map(([k, label]) => (
                      <th key={k} onClick={() => by(k)} class={sort.key === k ? 'sorted' : ''}>
                        {label}
                        {sort.key === k ? (sort.desc ? ' ▼' : ' ▲') : ''}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr key={`${c.chain_id}/${c.client_id}`} class={band(c)}>
                      <td>{c.chain_id}</td>
                      <td>
                        {c.client_id} <span class="dim small">{c.client_type}</span>
                      </td>
                      <td>{c.counterparty_chain_id ?? '—'}</td>
                      <td>{c.status}</td>
                      <td>
                        {c.remaining_s === null
                          ? '—'
                          : c.remaining_s > 0
                            ? duration(c.remaining_s)
                            : `expired ${duration(c.remaining_s)} ago`}
                      </td>
                      <td>
                        {c.elapsed_ratio === null ? (
                          '—'
                        ) : (
                          <meter
                            min={0}
                            max={1}
                            value={c.elapsed_ratio}
                            title={`${Math.round(c.elapsed_ratio * 100)}%`}
                          />
                        )}{' '}
                        {c.elapsed_ratio === null ? '' : `${Math.round(c.elapsed_ratio * 100)}%`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          );
        }}
      </Load>
    </section>
  );
}
