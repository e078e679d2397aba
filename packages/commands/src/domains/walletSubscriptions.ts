import { isRpcError } from '@tocsin/bus';
import type { Command, CommandContext, CommandReply } from '../registry.ts';
import { usageReply } from '../registry.ts';
import { choices, formatAmount } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';
import { checkWalletAddress } from './walletAddress.ts';

type Base = Omit<CommandContext, 'args'>;

/** What the wallet commands ask of the chains cosmos-ibc watches (ibc.ts answers it). */
export interface ChainLookups {
  knownChains(ctx: Base): Promise<Awaited<ReturnType<typeof call<'cosmos-ibc', 'chains'>>>['chains']>;
  completeChain(ctx: Base, partial: string): Promise<{ name: string; value: string }[]>;
  unknownChainReply(ctx: Base, chainId: string): Promise<CommandReply>;
}

/** `$register` and `$deregister`: people subscribe to a wallet to be tagged when its balance falls low. */
export function walletSubscriptionCommands(chains: ChainLookups): Command[] {
  const { knownChains, completeChain, unknownChainReply } = chains;

  const registerCommand: Command = {
    name: 'register',
    summary: 'Tag me when a wallet balance falls below a threshold',
    description:
      'Subscribes you to a wallet: when its balance falls below the threshold (in display units, e.g. 2 = 2 ATOM) ' +
      'the alert tags you. Registering the same wallet again changes the threshold.',
    args: [
      {
        name: 'wallet',
        description: 'the wallet address (cosmos1…)',
        type: 'string',
        required: true,
        autocomplete: true,
      },
      {
        name: 'chain_id',
        description: 'the chain it lives on',
        type: 'string',
        required: true,
        autocomplete: true,
      },
      {
        name: 'threshold',
        description: 'alert below this balance, in display units (2 = 2 ATOM)',
        type: 'number',
        required: true,
      },
    ],
    examples: ['register cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl cosmoshub-4 2'],
    async run(ctx) {
      const checked = checkWalletAddress(String(ctx.args.wallet));
      if (!checked.ok) return usageReply(this, `${checked.problem}.`);
      const threshold = ctx.args.threshold as number;
      if (!(threshold > 0))
        return usageReply(this, `\`threshold\` must be greater than 0, got ${threshold}.`);
      const chainId = String(ctx.args.chain_id);
      let chains: Awaited<ReturnType<typeof knownChains>>;
      try {
        chains = await knownChains(ctx);
      } catch (err) {
        return failureReply('cosmos-ibc', err);
      }
      const chain = chains.find((c) => c.chain_id === chainId);
      if (!chain) return unknownChainReply(ctx, chainId);
      try {
        const res = await call(ctx, 'alerter', 'subscribe', {
          owner: ctx.caller.owner,
          kind: 'wallet',
          target: checked.address,
          chain_id: chainId,
          threshold,
        });
        const amount = `${formatAmount(threshold)} ${chain.display_denom}`;
        return {
          title: res.created ? 'Registered' : 'Threshold updated',
          text: `I will tag you when \`${checked.address}\` on ${chain.name} (\`${chainId}\`) falls below **${amount}**.`,
          kind: 'ok',
        };
      } catch (err) {
        return failureReply('alerter', err);
      }
    },
    async complete(ctx, arg, partial) {
      if (arg === 'chain_id') return completeChain(ctx, partial);
      if (arg !== 'wallet') return [];
      const { wallets } = await call(ctx, 'cosmos-ibc', 'wallets', {});
      const unique = [...new Map(wallets.map((w) => [w.address, w])).values()];
      return choices(
        unique.map((w) => ({ name: `${w.address} (${w.chain_id})`, value: w.address })),
        partial,
      );
    },
  };

  const deregisterCommand: Command = {
    name: 'deregister',
    summary: 'Stop tagging me for a wallet',
    description:
      'Removes your subscription to a wallet (on every chain, or only the one given). Only the user who ' +
      'registered a wallet, or an admin, can deregister it.',
    args: [
      {
        name: 'wallet',
        description: 'the wallet address',
        type: 'string',
        required: true,
        autocomplete: true,
      },
      {
        name: 'chain_id',
        description: 'only on this chain (default: every chain)',
        type: 'string',
        required: false,
        autocomplete: true,
      },
    ],
    examples: ['deregister cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl'],
    async run(ctx) {
      const wallet = String(ctx.args.wallet).trim();
      const chainId = ctx.args.chain_id as string | undefined;
      let removed: number;
      try {
        removed = (
          await call(ctx, 'alerter', 'unsubscribe', {
            by: ctx.caller.owner,
            is_admin: ctx.caller.isAdmin,
            kind: 'wallet',
            target: wallet,
            chain_id: chainId,
          })
        ).removed;
      } catch (err) {
        if (isRpcError(err, 'forbidden')) {
          return {
            title: 'Not yours',
            text: `Only the user who registered \`${wallet}\`, or an admin, can deregister it.`,
            kind: 'error',
            ephemeral: true,
          };
        }
        if (!isRpcError(err, 'not_found')) return failureReply('alerter', err);
        removed = 0;
      }
      if (removed === 0) {
        return {
          title: 'Nothing to remove',
          text: `There is no registration of \`${wallet}\`${chainId ? ` on ${chainId}` : ''}. \`$wallets mine\` lists yours.`,
          kind: 'error',
          ephemeral: true,
        };
      }
      return {
        title: 'Deregistered',
        text: `\`${wallet}\`${chainId ? ` on ${chainId}` : ''}: ${removed} registration${removed === 1 ? '' : 's'} removed.`,
        kind: 'ok',
      };
    },
    async complete(ctx, arg, partial) {
      if (arg === 'chain_id') return completeChain(ctx, partial);
      if (arg !== 'wallet') return [];
      const { subscriptions } = await call(ctx, 'alerter', 'subscriptions', {
        owner: ctx.caller.isAdmin ? undefined : ctx.caller.owner,
        kind: 'wallet',
      });
      return choices(
        subscriptions.map((s) => ({ name: `${s.target} (${s.chain_id})`, value: s.target })),
        partial,
      );
    },
  };

  return [registerCommand, deregisterCommand];
}
