import { type Command, CommandRegistry } from '../registry.ts';
import { alertSubscriptionCommands } from './alertSubscriptions.ts';
import { alertCommands } from './alerts.ts';
import { harmonyCommands } from './harmony.ts';
import { ibcCommands } from './ibc.ts';
import { icsCommands } from './ics.ts';
import { choices } from './listing.ts';
import { maintenanceCommand } from './maintenance.ts';
import { subspaceCommands } from './subspace.ts';

export { alertCommands, ownerText, parseMatcher } from './alerts.ts';
export { harmonyCommand, harmonyCommands, tokenCommand } from './harmony.ts';
export { ibcCommands } from './ibc.ts';
export { icsCommands } from './ics.ts';
export { subspaceCommands, subspaceStatusReply } from './subspace.ts';
export { checkWalletAddress } from './walletAddress.ts';

/** `$help` and `$help <command>`, answered from the registry it is registered in. */
export function helpCommand(registry: CommandRegistry): Command {
  return {
    name: 'help',
    summary: 'The commands, or how to use one',
    args: [
      { name: 'command', description: 'a command name', type: 'string', required: false, autocomplete: true },
    ],
    examples: ['help', 'help register'],
    run: async (ctx) => registry.help(ctx.args.command as string | undefined),
    complete: async (_ctx, _arg, partial) =>
      choices(
        registry.list().map((c) => ({ name: `${c.name}: ${c.summary}`, value: c.name })),
        partial,
      ),
  };
}

/**
 * Every domain's commands plus `help`. A new ingestor adds a domain file exporting its commands (e.g.
 * `$consumers`, `$harmony`) and one line here; the chat notifiers need no change.
 */
export function defaultCommands(prefix = '$'): CommandRegistry {
  const registry = new CommandRegistry(prefix).register(
    ...ibcCommands(),
    ...icsCommands(),
    ...subspaceCommands(),
    ...alertCommands(),
    ...alertSubscriptionCommands(),
    maintenanceCommand,
    ...harmonyCommands(),
  );
  return registry.register(helpCommand(registry));
}
