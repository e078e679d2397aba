import type { subspaceBlocksRpc } from '@tocsin/events';
import type { z } from 'zod';
import type { Command, CommandReply } from '../registry.ts';
import { call, failureReply } from './rpcCall.ts';

type Status = z.infer<typeof subspaceBlocksRpc.status.result>;
type Ref = { height: number; hash: string } | null;

const short = (r: Ref) => (r ? `#${r.height} \`${r.hash.slice(0, 10)}…\`` : '—');

/** The status as chat fields: one per node, then forks, slot time and farmers. */
export function subspaceStatusReply(s: Status): CommandReply {
  const fields: NonNullable<CommandReply['fields']> = s.nodes.map((n) => {
    const state = n.connected ? '🟢' : '🔴';
    const parts = [`best ${short(n.best)}`, `finalized ${short(n.finalized)}`];
    if (n.peers !== null) parts.push(`${n.peers} peers`);
    if (n.off_best_chain) parts.push(`**${n.off_best_chain} blocks off the best chain**`);
    if (!n.connected && n.error) parts.push(n.error);
    return { name: `${state} ${n.node}${n.primary ? ' (primary)' : ''}`, value: parts.join(' · ') };
  });
  fields.push({
    name: 'Forks',
    value: s.forks.length
      ? s.forks
          .slice(0, 5)
          .map((f) => `${f.length} blocks from #${f.fork_point.height} (tip ${short(f.tip)})`)
          .join('\n')
      : 'none tracked',
  });
  fields.push({
    name: 'Slot time',
    value: s.seconds_per_slot === null ? 'not known yet' : `${s.seconds_per_slot.toFixed(3)} s per slot`,
    inline: true,
  });
  fields.push({
    name: 'Farmers',
    value:
      s.active_farmers === null
        ? 'not known yet'
        : `${s.active_farmers} active (average ${s.farmers_window_average?.toFixed(1) ?? '—'})`,
    inline: true,
  });
  return {
    title: `Subspace ${s.chain_id}`,
    text: `Best tip ${short(s.best_tip)} · ${s.tracked_blocks} blocks tracked`,
    fields,
    kind: 'ok',
  };
}

export const subspaceCommand: Command = {
  name: 'subspace',
  summary: 'Subspace chain: tips and forks per node, slot time, farmers',
  description:
    'Asks the subspace-blocks ingestor for what it sees now: each node (connected, best and finalized block, ' +
    'peers, how far its best block is off the best chain), the side forks it tracks, seconds per slot over the ' +
    'window and the active farmers against their average.',
  args: [],
  examples: ['subspace'],
  run: async (ctx) => {
    try {
      return subspaceStatusReply(await call(ctx, 'subspace-blocks', 'status', {}));
    } catch (err) {
      return failureReply('subspace-blocks', err);
    }
  },
};

export function subspaceCommands(): Command[] {
  return [subspaceCommand];
}
