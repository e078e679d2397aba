import type { Caller, CommandRegistry, CommandReply } from '@tocsin/commands';
import type { Subjects } from '@tocsin/events';
import type { Logger, ServiceContext } from '@tocsin/runtime';
import {
  type APIInteractionGuildMember,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  Events,
  type GuildMember,
  type Interaction,
  type Message,
  MessageFlags,
  Routes,
  type User,
} from 'discord.js';
import { type ReplyBody, renderCommandReply } from './render/commandReply.ts';
import { type ButtonAction, decodeButton } from './render/customIds.ts';
import { clip, LIMITS } from './render/limits.ts';
import { slashCommandsOf } from './slashCommands.ts';

/** Discord wants an answer to an interaction within 3 s; past this, the answer is deferred and edited in. */
const ANSWER_WITHIN_MS = 2000;

export function roleIdsOf(member: GuildMember | APIInteractionGuildMember | null | undefined): string[] {
  if (!member) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

/** Who is asking, for the commands and the alerter: `discord:<id>`, admin when holding an admin role. */
export function callerOf(user: User, roleIds: string[], adminRoles: string[]): Caller {
  return {
    owner: `discord:${user.id}`,
    isAdmin: roleIds.some((r) => adminRoles.includes(r)),
    platform: 'discord',
    displayName: user.globalName ?? user.username,
  };
}

export interface ChatDeps {
  client: Client;
  registry: CommandRegistry;
  nc: ServiceContext['nc'];
  subjects: Subjects;
  adminRoles: string[];
  /** Text commands need the MessageContent intent. */
  prefixCommands: boolean;
  log: Pick<Logger, 'warn' | 'info'>;
  /**
   * Every replica's gateway session gets every message and interaction: true for the one replica that answers
   * it (the first to claim its id), false for the others. Absent: this process answers everything.
   */
  claim?(id: string): Promise<boolean>;
  onAlertButton(
    interaction: ButtonInteraction,
    action: Exclude<ButtonAction, { kind: 'page' }>,
  ): Promise<void>;
}

const quoted = (v: string | number) => (typeof v === 'string' && /\s/.test(v) ? `"${v}"` : String(v));

function messageOptions(body: ReplyBody) {
  return {
    embeds: body.embeds,
    components: body.components ?? [],
    allowedMentions: { parse: [], repliedUser: false },
  };
}

/**
 * Text commands (`$data`), slash commands (`/data`), their autocomplete and the paging buttons, all through
 * the platform-neutral command registry. Nothing here throws into discord.js: a failure is logged and the
 * user gets an error reply where one can still be sent.
 */
export function attachChatCommands(deps: ChatDeps): void {
  const { client, registry, log } = deps;
  const base = (caller: Caller) => ({ nc: deps.nc, subjects: deps.subjects, caller });

  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.webhookId || !message.content.startsWith(registry.prefix)) return;
    const parsed = registry.parse(message.content);
    if (!parsed) return;
    if (deps.claim && !(await deps.claim(`message:${message.id}`))) return;
    const caller = callerOf(message.author, roleIdsOf(message.member), deps.adminRoles);
    // A reply with a secret (a new agent token) is never posted in a channel: only the slash command's private reply.
    const reply =
      parsed.ok && parsed.command.secretWhen?.(parsed.args)
        ? {
            title: 'Use the slash command',
            text: `This reply would contain a secret, and a message reply is public here. Use \`/${parsed.command.name}\` (only you see its answer).`,
            kind: 'usage' as const,
          }
        : await registry.run(parsed, base(caller));
    const line = message.content.trim().slice(registry.prefix.length).trim();
    await message.reply(messageOptions(renderCommandReply(reply, { page: 0, line })));
  }

  /** Runs a command and answers in time: directly when quick, otherwise deferred then edited in. */
  async function answer(
    i: ChatInputCommandInteraction | ButtonInteraction,
    running: Promise<CommandReply>,
    render: (r: CommandReply) => ReplyBody,
    how: 'reply' | 'update',
    /** The reply will carry a secret: a deferred answer is private too. */
    secret = false,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ANSWER_WITHIN_MS);
    });
    const quick = await Promise.race([running, late]);
    clearTimeout(timer);
    if (quick) {
      const body = render(quick);
      if (how === 'update' && i.isButton()) await i.update(messageOptions(body));
      else
        await i.reply({
          ...messageOptions(body),
          ...(body.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
        });
      return;
    }
    if (how === 'update' && i.isButton()) await i.deferUpdate();
    else await i.deferReply(secret ? { flags: MessageFlags.Ephemeral } : {});
    await i.editReply(messageOptions(render(await running)));
  }

  async function onSlash(i: ChatInputCommandInteraction): Promise<void> {
    const cmd = registry.get(i.commandName);
    const caller = callerOf(i.user, roleIdsOf(i.member), deps.adminRoles);
    if (!cmd) {
      await i.reply({ content: `Unknown command /${i.commandName}.`, flags: MessageFlags.Ephemeral });
      return;
    }
    const given: Record<string, string | number> = {};
    for (const o of i.options.data) {
      if (typeof o.value === 'string' || typeof o.value === 'number') given[o.name] = o.value;
    }
    const parsed = registry.bind(cmd, given);
    const values = cmd.args.map((a) => given[a.name]).filter((v) => v !== undefined && v !== '');
    const line = [cmd.name, ...values.map((v) => quoted(v!))].join(' ');
    await answer(
      i,
      registry.run(parsed, base(caller)),
      (r) => renderCommandReply(r, { page: 0, line }),
      'reply',
      parsed.ok && Boolean(cmd.secretWhen?.(parsed.args)),
    );
  }

  async function onAutocomplete(i: AutocompleteInteraction): Promise<void> {
    const cmd = registry.get(i.commandName);
    const focused = i.options.getFocused(true);
    const caller = callerOf(i.user, roleIdsOf(i.member), deps.adminRoles);
    let choices: { name: string; value: string }[] = [];
    try {
      choices = cmd?.complete ? await cmd.complete(base(caller), focused.name, String(focused.value)) : [];
    } catch (err) {
      log.warn({ command: i.commandName, err: String(err) }, 'autocomplete failed');
    }
    await i.respond(
      choices
        .slice(0, LIMITS.choices)
        .map((c) => ({ name: clip(c.name, LIMITS.choiceName), value: c.value.slice(0, 100) })),
    );
  }

  async function onPage(
    i: ButtonInteraction,
    action: Extract<ButtonAction, { kind: 'page' }>,
  ): Promise<void> {
    const parsed = registry.parse(`${registry.prefix}${action.line}`);
    if (!parsed) return;
    const caller = callerOf(i.user, roleIdsOf(i.member), deps.adminRoles);
    await answer(
      i,
      registry.run(parsed, base(caller)),
      (r) => renderCommandReply(r, { page: action.page, line: action.line }),
      'update',
    );
  }

  async function onInteraction(i: Interaction): Promise<void> {
    if (deps.claim && !(await deps.claim(`interaction:${i.id}`))) return;
    if (i.isChatInputCommand()) return onSlash(i);
    if (i.isAutocomplete()) return onAutocomplete(i);
    if (i.isButton()) {
      const action = decodeButton(i.customId);
      if (!action) {
        await i.reply({ content: 'This button is no longer valid.', flags: MessageFlags.Ephemeral });
        return;
      }
      if (action.kind === 'page') return onPage(i, action);
      return deps.onAlertButton(i, action);
    }
  }

  if (deps.prefixCommands) {
    client.on(Events.MessageCreate, (m) => {
      onMessage(m).catch((err) =>
        log.warn({ err: String(err), channel: m.channelId }, 'text command failed'),
      );
    });
  }
  client.on(Events.InteractionCreate, (i) => {
    onInteraction(i).catch((err) =>
      log.warn({ err: String(err), channel: i.channelId }, 'interaction failed'),
    );
  });
}

/** Slash commands: in one guild when configured (they appear at once), globally otherwise. */
export async function registerSlashCommands(
  client: Client<true>,
  registry: CommandRegistry,
  opts: { guildId?: string; applicationId?: string },
): Promise<number> {
  const defs = slashCommandsOf(registry);
  const app = opts.applicationId ?? client.application.id;
  const route = opts.guildId
    ? Routes.applicationGuildCommands(app, opts.guildId)
    : Routes.applicationCommands(app);
  await client.rest.put(route, { body: defs });
  return defs.length;
}
