import type { Command, CommandReply } from '../registry.ts';
import { usageReply } from '../registry.ts';
import { choices, formatTime, pagedReply } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';

const PER_PAGE = 10;
const short = (key: string) => `${key.slice(0, 8)}…${key.slice(-6)}`;

function modeIcon(mode: string | null, reachable: boolean, silent: boolean): string {
  if (silent || !reachable) return '⚪';
  return mode === 'Normal' ? '🟢' : '🟡';
}

/** `$harmony`: the caller's BLS keys × hosts, with each host's mode and last report. */
export const harmonyCommand: Command = {
  name: 'harmony',
  summary: 'Your Harmony BLS keys and the hosts signing with them (modes, last reports)',
  description:
    'For each BLS key your agents report: every host holding it, its consensus mode (🟢 Normal = signing), ' +
    'whether it is flagged backup and when it last reported. Two 🟢 on one key is a double-sign risk.',
  args: [],
  examples: ['harmony'],
  async run(ctx) {
    let hosts: Awaited<ReturnType<typeof call<'harmony-signers', 'signers'>>>['hosts'];
    try {
      hosts = (await call(ctx, 'harmony-signers', 'signers', { owner: ctx.caller.owner })).hosts;
    } catch (err) {
      return failureReply('harmony-signers', err);
    }
    if (!hosts.length)
      return {
        title: 'Harmony signers',
        text: 'No agent has reported with one of your tokens yet. Create one with `$token new`, then run the agent.',
        kind: 'ok',
        ephemeral: true,
      };
    const keys = [...new Set(hosts.flatMap((h) => h.blskeys))].sort();
    const fields = keys.map((key) => {
      const on = hosts.filter((h) => h.blskeys.includes(key));
      const signing = on.filter((h) => h.mode === 'Normal' && h.node_reachable && !h.silent).length;
      const lines = on.map(
        (h) =>
          `${modeIcon(h.mode, h.node_reachable, h.silent)} ${h.hostname}: ${h.node_reachable ? (h.mode ?? '?') : 'node unreachable'}` +
          `${h.is_backup ? ' (backup)' : ''}${h.silent ? ' · silent' : ''} · ${formatTime(h.last_report_at)}`,
      );
      return {
        name: `${signing > 1 ? '🚨 ' : ''}${short(key)} · ${signing} signing`,
        value: lines.join('\n'),
      };
    });
    const keyless = hosts.filter((h) => !h.blskeys.length);
    if (keyless.length)
      fields.push({
        name: 'Hosts without keys',
        value: keyless
          .map(
            (h) =>
              `${modeIcon(h.mode, h.node_reachable, h.silent)} ${h.hostname} · ${formatTime(h.last_report_at)}`,
          )
          .join('\n'),
      });
    const risky = fields.filter((f) => f.name.startsWith('🚨')).length;
    return pagedReply({
      title: 'Harmony signers',
      intro:
        `${keys.length} key${keys.length === 1 ? '' : 's'} on ${hosts.length} host${hosts.length === 1 ? '' : 's'}` +
        (risky ? ` · **${risky} signing on more than one host**` : ''),
      fields,
      perPage: PER_PAGE,
      ephemeral: true,
    });
  },
};

const ACTIONS = ['new', 'list', 'revoke'];

/** `$token new [label]`, `$token list`, `$token revoke <id>`: agent tokens for harmony-signers. */
export const tokenCommand: Command = {
  name: 'token',
  summary: 'Agent tokens for harmony-signers: new, list, revoke',
  description:
    '`new [label]` creates a token for your agents and shows it once (only its hash is kept); alerts about the ' +
    'hosts that report with it go to you. `list` shows your tokens, `revoke <id>` stops one at once.',
  args: [
    {
      name: 'action',
      description: 'new, list or revoke',
      type: 'string',
      required: true,
      autocomplete: true,
    },
    {
      name: 'arg',
      description: 'a label (new) or a token id (revoke)',
      type: 'string',
      required: false,
      rest: true,
    },
  ],
  examples: ['token new "validator servers"', 'token list', 'token revoke tok_01jd5zq4x8n9s2m3k4p5r6t7v8'],
  secretWhen: (args) => String(args.action).toLowerCase() === 'new',
  async run(ctx): Promise<CommandReply> {
    const action = String(ctx.args.action).toLowerCase();
    const arg = ctx.args.arg === undefined ? undefined : String(ctx.args.arg);
    try {
      if (action === 'new') {
        const { token, summary } = await call(ctx, 'harmony-signers', 'token_new', {
          owner: ctx.caller.owner,
          label: arg ?? '',
        });
        return {
          title: 'Agent token created',
          text:
            `\`${token}\`\n\nShown once: tocsin keeps only its hash. Save it on each validator server in a file ` +
            `only the agent's user can read (\`chmod 600\`), then run the agent with \`--token-file\`. ` +
            `Id \`${summary.id}\` (for \`$token revoke\`).`,
          kind: 'ok',
          ephemeral: true,
        };
      }
      if (action === 'list') {
        const { tokens } = await call(ctx, 'harmony-signers', 'token_list', { owner: ctx.caller.owner });
        if (!tokens.length)
          return {
            title: 'Agent tokens',
            text: 'You have no tokens. `$token new` creates one.',
            kind: 'ok',
            ephemeral: true,
          };
        return pagedReply({
          title: 'Agent tokens',
          fields: tokens.map((t) => ({
            name: `${t.revoked_at ? '⛔' : '🔑'} ${t.id}${t.label ? ` · ${t.label}` : ''}`,
            value:
              `created ${formatTime(t.created_at)} · last used ${formatTime(t.last_used_at)}` +
              (t.revoked_at ? ` · revoked ${formatTime(t.revoked_at)}` : ''),
          })),
          perPage: PER_PAGE,
          ephemeral: true,
        });
      }
      if (action === 'revoke') {
        if (!arg) return usageReply(this, 'Give the id of the token to revoke (see `$token list`).');
        const { summary } = await call(ctx, 'harmony-signers', 'token_revoke', {
          id: arg,
          by: ctx.caller.owner,
          is_admin: ctx.caller.isAdmin,
        });
        return {
          title: 'Token revoked',
          text: `\`${summary.id}\` is refused from now on (agents using it get 401).`,
          kind: 'ok',
          ephemeral: true,
        };
      }
    } catch (err) {
      return failureReply('harmony-signers', err);
    }
    return usageReply(this, `\`action\` must be one of ${ACTIONS.join(', ')}, got "${action}".`);
  },
  complete: async (_ctx, arg, partial) =>
    arg === 'action'
      ? choices(
          ACTIONS.map((a) => ({ name: a, value: a })),
          partial,
        )
      : [],
};

export function harmonyCommands(): Command[] {
  return [harmonyCommand, tokenCommand];
}
