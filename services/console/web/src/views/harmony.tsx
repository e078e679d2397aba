import { useApi } from '../api.ts';
import { short, since } from '../format.ts';
import type { HarmonyHosts } from '../types.ts';
import { Load } from '../ui.tsx';

type Host = HarmonyHosts['hosts'][number];

/** As harmony-signers judges it: a reachable node in mode Normal signs, whatever its backup flag says. */
const signs = (h: Host) => h.node_reachable && h.mode === 'Normal' && !h.silent;

/**
 * Keys × hosts: which host holds which BLS key and in which mode. Two hosts signing with one key is the
 * double-sign risk the alert is about: that key's column turns red.
 */
export function Harmony() {
  const q = useApi<HarmonyHosts>('/api/harmony/hosts', 15_000);
  return (
    <section>
      <Load q={q} what="Harmony (harmony-signers)">
        {({ hosts, keys }) => {
          if (hosts.length === 0) return <p class="dim">No host has reported yet.</p>;
          const signing = (k: string) => hosts.filter((h) => h.blskeys.includes(k) && signs(h)).length;
          return (
            <>
              <table class="matrix">
                <thead>
                  <tr>
                    <th>host</th>
                    <th>mode</th>
                    <th>last report</th>
                    {keys.map((k) => (
                      <th key={k} title={k} class={signing(k) > 1 ? 'band-red' : ''}>
                        <code>{short(k, 6)}</code>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {hosts.map((h) => (
                    <tr
                      key={`${h.owner}/${h.hostname}`}
                      class={h.silent || !h.node_reachable ? 'band-orange' : ''}
                    >
                      <td>
                        {h.hostname}{' '}
                        <span class="dim small">
                          {h.owner} · shard {h.shard_id ?? '—'}
                        </span>
                      </td>
                      <td>
                        {h.mode ?? '—'}
                        {h.is_backup ? ' (backup)' : ''}
                        {h.silent ? <span class="bad"> silent</span> : null}
                        {!h.node_reachable ? <span class="bad"> node unreachable</span> : null}
                      </td>
                      <td>{since(h.last_report_at)}</td>
                      {keys.map((k) => (
                        <td
                          key={k}
                          class={
                            signing(k) > 1 && h.blskeys.includes(k) && signs(h) ? 'cell band-red' : 'cell'
                          }
                        >
                          {h.blskeys.includes(k) ? (signs(h) ? '●' : '○') : ''}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="dim small">
                ● holds the key and signs (mode Normal) · ○ holds it, not signing · red: more than one host
                signs with the key
              </p>
            </>
          );
        }}
      </Load>
    </section>
  );
}
