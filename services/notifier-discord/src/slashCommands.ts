import type { Command, CommandRegistry } from '@tocsin/commands';
import {
  type APIApplicationCommandBasicOption,
  ApplicationCommandOptionType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { clip } from './render/limits.ts';

const NAME = /^[-_a-z0-9]{1,32}$/;

function optionOf(arg: Command['args'][number]): APIApplicationCommandBasicOption {
  const base = {
    name: arg.name,
    description: clip(arg.description, 100),
    required: arg.required,
    ...(arg.autocomplete ? { autocomplete: true } : {}),
  };
  if (arg.type === 'number') return { ...base, type: ApplicationCommandOptionType.Number };
  if (arg.type === 'integer') return { ...base, type: ApplicationCommandOptionType.Integer };
  return { ...base, type: ApplicationCommandOptionType.String };
}

/**
 * The registry's commands as Discord slash commands (same names and arguments as the text commands). Discord
 * wants required options first; a text command's order is kept otherwise. Pure.
 */
export function slashCommandsOf(
  registry: CommandRegistry,
): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return registry
    .list()
    .filter((c) => NAME.test(c.name) && c.args.every((a) => NAME.test(a.name)))
    .map((c) => ({
      name: c.name,
      description: clip(c.summary, 100),
      options: [...c.args.filter((a) => a.required), ...c.args.filter((a) => !a.required)].map(optionOf),
    }));
}
