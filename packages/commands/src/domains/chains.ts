import type { CommandContext, CommandReply } from '../registry.ts';
import { choices } from './listing.ts';
import { call, failureReply } from './rpcCall.ts';

type Base = Omit<CommandContext, 'args'>;

/** The chains cosmos-ibc watches, asked of it. */
export async function knownChains(ctx: Base) {
  return (await call(ctx, 'cosmos-ibc', 'chains', {})).chains;
}

/** "Unknown chain": the reply lists the chains tocsin watches, as the issue asks. */
export async function unknownChainReply(ctx: Base, chainId: string): Promise<CommandReply> {
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

export async function completeChain(ctx: Base, partial: string) {
  const chains = await knownChains(ctx);
  return choices(
    chains.map((c) => ({ name: `${c.chain_id} (${c.name})`, value: c.chain_id })),
    partial,
  );
}
