import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import { useApi } from '../api.ts';
import { Chart, seconds } from '../chart.tsx';
import { num, short } from '../format.ts';
import type { SubspaceSeries, SubspaceStatus } from '../types.ts';
import { Badge, Load } from '../ui.tsx';

const ref = (b: { height: number; hash: string } | null) =>
  b ? (
    <span title={b.hash}>
      #{b.height} <span class="dim small">{short(b.hash, 6)}</span>
    </span>
  ) : (
    '—'
  );

const lineOpts = (label: string, stroke: string): Omit<uPlot.Options, 'width'> => ({
  height: 200,
  series: [{}, { label, stroke, width: 1.5, points: { show: false } }],
});

function Charts() {
  const q = useApi<SubspaceSeries>('/api/subspace/series', 30_000);
  const block = useMemo(() => lineOpts('block time (s)', '#2b6cb0'), []);
  const slot = useMemo(() => lineOpts('seconds per slot', '#6b46c1'), []);
  const data = useMemo(
    () =>
      q.data
        ? {
            block: [q.data.block_time.map((p) => seconds(p.t)), q.data.block_time.map((p) => p.seconds)],
            slot: [
              q.data.slot_time.map((p) => seconds(p.t)),
              q.data.slot_time.map((p) => p.seconds_per_slot),
            ],
          }
        : null,
    [q.data],
  );
  return (
    <Load q={q} what="Subspace series (subspace-blocks)">
      {() => (
        <div class="charts">
          <div class="card">
            <h3>Block time</h3>
            {data!.block[0]!.length ? (
              <Chart opts={block} data={data!.block as uPlot.AlignedData} />
            ) : (
              <p class="dim">No blocks checked yet.</p>
            )}
          </div>
          <div class="card">
            <h3>Slot time</h3>
            {data!.slot[0]!.length ? (
              <Chart opts={slot} data={data!.slot as uPlot.AlignedData} />
            ) : (
              <p class="dim">No slots yet.</p>
            )}
          </div>
        </div>
      )}
    </Load>
  );
}

export function Subspace() {
  const q = useApi<SubspaceStatus>('/api/subspace/status', 15_000);
  return (
    <section>
      <Load q={q} what="Subspace (subspace-blocks)">
        {(s) => (
          <>
            <p class="small">
              <strong>{s.chain_id}</strong> · best {ref(s.best_tip)} · finalized {ref(s.finalized)} · checked{' '}
              {ref(s.checked)} · {num(s.seconds_per_slot, 3)} s/slot · farmers {s.active_farmers ?? '—'}{' '}
              (window average {num(s.farmers_window_average, 1)}) · {s.tracked_blocks} blocks tracked
            </p>
            <table>
              <thead>
                <tr>
                  <th>node</th>
                  <th>state</th>
                  <th>best</th>
                  <th>finalized</th>
                  <th class="num">peers</th>
                  <th class="num">off best chain</th>
                </tr>
              </thead>
              <tbody>
                {s.nodes.map((n) => (
                  <tr key={n.node} class={n.connected ? '' : 'band-red'}>
                    <td>
                      {n.node} {n.primary ? <Badge kind="phase">primary</Badge> : null}
                    </td>
                    <td>
                      {n.connected ? 'connected' : <span class="bad">{n.error ?? 'disconnected'}</span>}
                    </td>
                    <td>{ref(n.best)}</td>
                    <td>{ref(n.finalized)}</td>
                    <td class="num">{n.peers ?? '—'}</td>
                    <td class="num">{n.off_best_chain ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h3>Forks</h3>
            {s.forks.length === 0 ? (
              <p class="dim">No forks.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>tip</th>
                    <th>fork point</th>
                    <th class="num">length</th>
                  </tr>
                </thead>
                <tbody>
                  {s.forks.map((f) => (
                    <tr key={f.tip.hash}>
                      <td>{ref(f.tip)}</td>
                      <td>{ref(f.fork_point)}</td>
                      <td class="num">{f.length}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Load>
      <Charts />
    </section>
  );
}
