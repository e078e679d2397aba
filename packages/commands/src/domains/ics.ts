import type { icsConsumerSummary } from '@tocsin/events';
import { formatSeconds } from '@tocsin/runtime';
import type { z } from 'zod';
import { type Command, usageReply } from '../registry.ts';
import { choices, pagedReply } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';

type Consumer = z.infer<typeof icsConsumerSummary>;

const PHASES = ['registered', 'initialized', 'launched', 'stopped', 'deleted'];
const PER_PAGE = 10;

const ICON: Record<string, string> = {
  REGISTERED: '📝',
  INITIALIZED: '⏳',
  LAUNCHED: '🟢',
  STOPPED: '🛑',
  DELETED: '⚫',
};

/** Our duty towards a consumer, in words (the alerts say the same with severities). */
function duty(c: Consumer): string | null {
  if (c.ours_opted_in === false && c.phase === 'INITIALIZED') return '**ours not opted in**';
  if (c.ours_opted_in && c.ours_key_assigned === false && c.phase !== 'LAUNCHED')
    return '**ours: no consumer key**';
  if (c.ours_opted_in) return 'ours opted in';
  return null;
}

function field(c: Consumer) {
  const parts = [c.phase];
  if (c.spawn_in_s !== null && (c.phase === 'INITIALIZED' || c.phase === 'REGISTERED'))
    parts.push(
      c.spawn_in_s >= 0
        ? `spawns in **${formatSeconds(c.spawn_in_s)}**`
        : `spawn ${formatSeconds(-c.spawn_in_s)} ago`,
    );
  parts.push(`${c.opted_in} opted in`);
  const d = duty(c);
  if (d) parts.push(d);
  return {
    name: `${ICON[c.phase] ?? '⚪'} ${c.chain_id} (id ${c.consumer_id}) · ${c.name}`,
    value: parts.join(' · '),
  };
}

export const consumersCommand: Command = {
  name: 'consumers',
  summary: 'ICS consumer chains: phase, spawn countdown and our duty',
  description:
    'Lists the Interchain Security consumers of the watched provider chain: their phase, the time left before ' +
    'spawn, how many validators opted in, and whether our validator still has to opt in or assign a key.',
  args: [
    {
      name: 'phase',
      description: 'only consumers in this phase',
      type: 'string',
      required: false,
      autocomplete: true,
    },
  ],
  examples: ['consumers', 'consumers initialized'],
  async run(ctx) {
    const phase = ctx.args.phase as string | undefined;
    if (phase && !PHASES.includes(phase.toLowerCase()))
      return usageReply(this, `\`phase\` must be one of ${PHASES.join(', ')}, got "${phase}".`);
    let res: Awaited<ReturnType<typeof call<'ics-ccv', 'consumers'>>>;
    try {
      res = await call(ctx, 'ics-ccv', 'consumers', { phase });
    } catch (err) {
      return failureReply('ics-ccv', err);
    }
    if (!res.available)
      return {
        title: 'ICS consumers',
        text: `${res.provider_chain_id} has no ICS provider module: nothing to list.`,
        kind: 'ok',
      };
    if (!res.consumers.length)
      return {
        title: 'ICS consumers',
        text: `No consumers${phase ? ` in phase ${phase}` : ''} on ${res.provider_chain_id}.`,
        kind: 'ok',
      };
    const todo = res.consumers.filter((c) => duty(c)?.startsWith('**')).length;
    const intro =
      `${res.consumers.length} consumer${res.consumers.length === 1 ? '' : 's'} on ${res.provider_chain_id}` +
      (res.height ? ` at height ${res.height}` : '') +
      (res.our_validator ? ` · ${todo} need${todo === 1 ? 's' : ''} action from ${res.our_validator}` : '');
    return pagedReply({ title: 'ICS consumers', intro, fields: res.consumers.map(field), perPage: PER_PAGE });
  },
  async complete(_ctx, arg, partial) {
    if (arg !== 'phase') return [];
    return choices(
      PHASES.map((p) => ({ name: p, value: p })),
      partial,
    );
  },
};

export function icsCommands(): Command[] {
  return [consumersCommand];
}
