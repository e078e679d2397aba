import { useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { useApi } from '../api.ts';
import { Chart, seconds } from '../chart.tsx';
import { duration, num, short, since, time } from '../format.ts';
import type { Wallet, WalletHistory, Wallets as WalletList } from '../types.ts';
import { Load } from '../ui.tsx';

/** Balance samples, then a dashed line from the last one to zero at the projected-empty time. */
function series(h: WalletHistory): uPlot.AlignedData {
  const xs = h.points.map((p) => seconds(p.t));
  const ys: Array<number | null> = h.points.map((p) => p.amount);
  const proj: Array<number | null> = h.points.map(() => null);
  const last = h.points.at(-1);
  if (h.projected_empty_at && last) {
    proj[proj.length - 1] = last.amount;
    xs.push(seconds(h.projected_empty_at));
    ys.push(null);
    proj.push(0);
  }
  return [xs, ys, proj];
}

function History({ w }: { w: Wallet }) {
  const q = useApi<WalletHistory>(
    `/api/wallets/${encodeURIComponent(w.chain_id)}/${encodeURIComponent(w.address)}/history`,
    60_000,
  );
  const data = useMemo(() => (q.data ? series(q.data) : null), [q.data]);
  const opts = useMemo(
    (): Omit<uPlot.Options, 'width'> => ({
      height: 260,
      series: [
        {},
        { label: `balance (${w.display_denom})`, stroke: '#2b6cb0', width: 2 },
        { label: 'projected', stroke: '#c53030', dash: [6, 4], width: 1.5 },
      ],
      scales: { y: { range: (_u, _min, max) => [0, max * 1.05 || 1] } },
    }),
    [w.display_denom],
  );
  return (
    <div class="card">
      <h3>
        {w.chain_id} · <code>{w.address}</code>
      </h3>
      <Load q={q} what="the balance history (cosmos-ibc)">
        {(h) =>
          h.points.length === 0 ? (
            <p class="dim">No balance samples yet.</p>
          ) : (
            <>
              <Chart opts={opts} data={data!} />
              <p class="small">
                {h.projected_empty_at
                  ? `At the current burn rate the wallet is empty ${since(h.projected_empty_at)} (${time(h.projected_empty_at)}).`
                  : 'Not burning: no projected empty time.'}
              </p>
            </>
          )
        }
      </Load>
    </div>
  );
}

export function Wallets() {
  const q = useApi<WalletList>('/api/wallets', 30_000);
  const [picked, setPicked] = useState<string | null>(null);
  const key = (w: Wallet) => `${w.chain_id}/${w.address}`;
  return (
    <section>
      <Load q={q} what="wallets (cosmos-ibc)">
        {({ wallets }) => {
          const sel = wallets.find((w) => key(w) === picked) ?? wallets[0];
          return wallets.length === 0 ? (
            <p class="dim">No wallets watched.</p>
          ) : (
            <>
              <table>
                <thead>
                  <tr>
                    <th>chain</th>
                    <th>address</th>
                    <th class="num">balance</th>
                    <th>empty in</th>
                    <th>observed</th>
                  </tr>
                </thead>
                <tbody>
                  {wallets.map((w) => (
                    <tr
                      key={key(w)}
                      class={sel && key(sel) === key(w) ? 'picked clickable' : 'clickable'}
                      onClick={() => setPicked(key(w))}
                    >
                      <td>{w.chain_id}</td>
                      <td>
                        <code title={w.address}>{short(w.address)}</code>
                      </td>
                      <td class="num">
                        {num(w.display_amount, 4)} {w.display_denom}
                      </td>
                      <td>{w.projected_empty_s === null ? '—' : duration(w.projected_empty_s)}</td>
                      <td>{since(w.observed_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {sel ? <History key={key(sel)} w={sel} /> : null}
            </>
          );
        }}
      </Load>
    </section>
  );
}
