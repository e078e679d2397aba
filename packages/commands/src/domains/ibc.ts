import { isRpcError } from '@tocsin/bus';
import type { ibcClientSummary, walletSummary } from '@tocsin/events';
import { formatSeconds } from '@tocsin/runtime';
import type { z } from 'zod';
import { type Command, type CommandContext, type CommandReply, usageReply } from '../registry.ts';
import { choices, formatAmount, formatTime, pagedReply } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';
import { walletSubscriptionCommands } from './walletSubscriptions.ts';

type Base = Omit<CommandContext, 'args'>;
type Client = z.infer<typeof ibcClientSummary>;
type Wallet = z.infer<typeof walletSummary>;

const CLIENT_STATUSES = ['active', 'expired', 'frozen', 'unknown', 'unsupported'];
/** The alerter's rule parameter that says when a client warns (elapsed / trusting period). */
const WARNING_RATIO_PARAM = 'ibc_expiry_warning_ratio';
const PER_PAGE = 10;

async function knownChains(ctx: Base) {
  return (await call(ctx, 'cosmos-ibc', 'chains', {})).chains;
}

/** "Unknown chain": the reply lists the chains tocsin watches, as the issue asks. */
async function unknownChainReply(ctx: Base, chainId: string): Promise<CommandReply> {
  let list: string;
  try {
    const chains = await knownChains(ctx);
    list = chains.length
      ? chains.map((c) => `\`${c.chain_id}\` (${c.name})`).join(', ')
      : 'none yet (no chain is configured)';
  } catch (err) {
    return failureReply('cosmos-ibc', err);
  }
  return {
    title: 'Unknown chain',
    text: `tocsin does not watch \`${chainId}\`. Known chains: ${list}.`,
    kind: 'usage',
    ephemeral: true,
  };
}

async function completeChain(ctx: Base, partial: string) {
  const chains = await knownChains(ctx);
  return choices(
    chains.map((c) => ({ name: `${c.chain_id} (${c.name})`, value: c.chain_id })),
    partial,
  );
}

/**
 * The warning ratio the alerter's rules use (`alerter.params.ibc_expiry_warning_ratio`, 0.8 by default), so the
 * list marks the clients the alerter warns about; null when the alerter does not answer (then none is marked).
 */
async function warningRatio(ctx: Base): Promise<number | null> {
  try {
    const v = (await call(ctx, 'alerter', 'params', {})).params[WARNING_RATIO_PARAM];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

const isExpiring = (c: Client, ratio: number | null) =>
  ratio !== null && c.status.toLowerCase() === 'active' && (c.elapsed_ratio ?? 0) >= ratio;

function clientIcon(c: Client, ratio: number | null): string {
  const status = c.status.toLowerCase();
  if (status === 'expired') return '🔴';
  if (status === 'frozen') return '🧊';
  if (status !== 'active') return '⚪';
  return isExpiring(c, ratio) ? '🟠' : '🟢';
}

function clientField(c: Client, ratio: number | null) {
  const parts = [c.status];
  if (c.remaining_s !== null) {
    parts.push(
      c.remaining_s > 0
        ? `**${formatSeconds(c.remaining_s)} left**`
        : `expired ${formatSeconds(-c.remaining_s)} ago`,
    );
  }
  if (c.elapsed_ratio !== null && c.trusting_period_s !== null) {
    parts.push(`${Math.round(c.elapsed_ratio * 100)}% of ${formatSeconds(c.trusting_period_s)}`);
  }
  if (c.client_type !== '07-tendermint') parts.push(c.client_type);
  parts.push(`updated ${formatTime(c.last_update)}`);
  const counterparty = c.counterparty_chain_id ? ` → ${c.counterparty_chain_id}` : '';
  return {
    name: `${clientIcon(c, ratio)} ${c.chain_id} · ${c.client_id}${counterparty}`,
    value: parts.join(' · '),
  };
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'IBC clients with their status and time to expiry',
  description:
    'Lists the IBC light clients from the latest scan, most urgent first: status, time left before the ' +
    'trusting period runs out and when the client was last updated. Filter by chain and/or status.',
  args: [
    {
      name: 'chain_id',
      description: 'only this chain (or a status: active, expired, frozen)',
      type: 'string',
      required: false,
      autocomplete: true,
    },
    {
      name: 'status',
      description: 'only clients in this status',
      type: 'string',
      required: false,
      autocomplete: true,
    },
  ],
  examples: ['data', 'data cosmoshub-4', 'data cosmoshub-4 expired'],
  async run(ctx) {
    let chainId = ctx.args.chain_id as string | undefined;
    let status = ctx.args.status as string | undefined;
    if (chainId && !status && CLIENT_STATUSES.includes(chainId.toLowerCase())) {
      status = chainId;
      chainId = undefined;
    }
    if (status && !CLIENT_STATUSES.includes(status.toLowerCase())) {
      return usageReply(this, `\`status\` must be one of ${CLIENT_STATUSES.join(', ')}, got "${status}".`);
    }
    let res: Awaited<ReturnType<typeof call<'cosmos-ibc', 'clients'>>>;
    const ratio = warningRatio(ctx);
    try {
      res = await call(ctx, 'cosmos-ibc', 'clients', { chain_id: chainId, status });
    } catch (err) {
      if (chainId && isRpcError(err, 'not_found')) return unknownChainReply(ctx, chainId);
      return failureReply('cosmos-ibc', err);
    }
    const clients = res.clients;
    if (!clients.length) {
      return {
        title: 'IBC clients',
        text: res.scanned_at
          ? `No clients${status ? ` with status ${status}` : ''}${chainId ? ` on ${chainId}` : ''}.`
          : 'No scan has finished yet; try again in a few minutes.',
        kind: 'ok',
      };
    }
    const warnAt = await ratio;
    const expiring = clients.filter((c) => isExpiring(c, warnAt)).length;
    const expired = clients.filter((c) => c.status.toLowerCase() === 'expired').length;
    const chains = new Set(clients.map((c) => c.chain_id)).size;
    const past =
      warnAt === null
        ? 'expiry warnings not marked (the alerter did not answer)'
        : `${expiring} past ${Number((warnAt * 100).toFixed(1))}%`;
    const intro =
      `${clients.length} client${clients.length === 1 ? '' : 's'} on ${chains} chain${chains === 1 ? '' : 's'}` +
      ` · ${past} · ${expired} expired · scanned ${formatTime(res.scanned_at)}`;
    return pagedReply({
      title: 'IBC clients',
      intro,
      fields: clients.map((c) => clientField(c, warnAt)),
      perPage: PER_PAGE,
    });
  },
  async complete(ctx, arg, partial) {
    if (arg === 'chain_id') return completeChain(ctx, partial);
    if (arg === 'status')
      return choices(
        CLIENT_STATUSES.map((s) => ({ name: s, value: s })),
        partial,
      );
    return [];
  },
};

function walletField(w: Wallet) {
  const parts = [`**${formatAmount(w.display_amount)} ${w.display_denom}**`];
  if (w.projected_empty_s !== null) parts.push(`empty in ~${formatSeconds(w.projected_empty_s)}`);
  parts.push(`as of ${formatTime(w.observed_at)}`);
  return { name: `${w.chain_id} · ${w.address}`, value: parts.join(' · ') };
}

export const walletsCommand: Command = {
  name: 'wallets',
  summary: 'Tracked wallets and their balances',
  description:
    'Lists the relayer wallets tocsin tracks (from `$register` and the configuration) with their latest ' +
    'balance and, when it is falling, the projected time until empty. `mine` lists the ones you registered.',
  args: [
    {
      name: 'chain_id',
      description: 'only this chain, or `mine` for the wallets you registered',
      type: 'string',
      required: false,
      autocomplete: true,
    },
  ],
  examples: ['wallets', 'wallets osmosis-1', 'wallets mine'],
  async run(ctx) {
    const filter = ctx.args.chain_id as string | undefined;
    const mine = filter?.toLowerCase() === 'mine';
    const chainId = mine ? undefined : filter;
    let wallets: Wallet[];
    try {
      wallets = (
        await call(ctx, 'cosmos-ibc', 'wallets', {
          chain_id: chainId,
          owner: mine ? ctx.caller.owner : undefined,
        })
      ).wallets;
    } catch (err) {
      if (chainId && isRpcError(err, 'not_found')) return unknownChainReply(ctx, chainId);
      return failureReply('cosmos-ibc', err);
    }
    if (!wallets.length) {
      return {
        title: 'Wallets',
        text: mine
          ? 'You have registered no wallet. Register one with `$register <wallet> <chain_id> <threshold>`.'
          : `No tracked wallets${chainId ? ` on ${chainId}` : ''}. Add one with \`$register <wallet> <chain_id> <threshold>\`.`,
        kind: 'ok',
      };
    }
    const sorted = [...wallets].sort(
      (a, b) =>
        (a.projected_empty_s ?? Number.POSITIVE_INFINITY) -
          (b.projected_empty_s ?? Number.POSITIVE_INFINITY) ||
        a.chain_id.localeCompare(b.chain_id) ||
        a.address.localeCompare(b.address),
    );
    return pagedReply({
      title: mine ? 'Your wallets' : 'Tracked wallets',
      intro: `${wallets.length} wallet${wallets.length === 1 ? '' : 's'}, soonest empty first`,
      fields: sorted.map(walletField),
      perPage: PER_PAGE,
    });
  },
  async complete(ctx, arg, partial) {
    if (arg !== 'chain_id') return [];
    const chains = await knownChains(ctx);
    return choices(
      [
        { name: 'mine (the wallets you registered)', value: 'mine' },
        ...chains.map((c) => ({ name: `${c.chain_id} (${c.name})`, value: c.chain_id })),
      ],
      partial,
    );
  },
};

export const recheckCommand: Command = {
  name: 'recheck',
  summary: 'Re-check expired IBC clients now (e.g. after a recovery)',
  description:
    'Expired clients are skipped by regular scans and re-checked daily. After a governance recovery, ' +
    're-check them now: all of them, those of one chain, or one client.',
  args: [
    { name: 'chain_id', description: 'only this chain', type: 'string', required: false, autocomplete: true },
    {
      name: 'client_id',
      description: 'only this client (e.g. 07-tendermint-12)',
      type: 'string',
      required: false,
    },
  ],
  examples: ['recheck', 'recheck cosmoshub-4 07-tendermint-12'],
  async run(ctx) {
    const chainId = ctx.args.chain_id as string | undefined;
    const clientId = ctx.args.client_id as string | undefined;
    try {
      const { rechecked } = await call(
        ctx,
        'cosmos-ibc',
        'recheck',
        { chain_id: chainId, client_id: clientId },
        30_000,
      );
      return {
        title: 'Re-checked',
        text: `${rechecked} expired client${rechecked === 1 ? '' : 's'} re-checked; any that recovered are scanned again.`,
        kind: 'ok',
      };
    } catch (err) {
      if (chainId && isRpcError(err, 'not_found')) return unknownChainReply(ctx, chainId);
      return failureReply('cosmos-ibc', err);
    }
  },
  async complete(ctx, arg, partial) {
    return arg === 'chain_id' ? completeChain(ctx, partial) : [];
  },
};

/** The cosmos-ibc domain: `$data`, `$wallets`, `$register`, `$deregister`, `$recheck`. */
export function ibcCommands(): Command[] {
  return [
    dataCommand,
    walletsCommand,
    ...walletSubscriptionCommands({ knownChains, completeChain, unknownChainReply }),
    recheckCommand,
  ];
}
