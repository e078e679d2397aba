import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@tocsin/events';
import { parseDuration } from '@tocsin/runtime';

/** Who is asking. Owners look like `discord:<user id>`, `slack:<user id>` or `telegram:<user id>`. */
export interface Caller {
  owner: string;
  isAdmin: boolean;
  platform: 'discord' | 'slack' | 'telegram' | 'cli';
  displayName?: string;
}

export type ArgType = 'string' | 'number' | 'duration' | 'integer';

export interface CommandArg {
  name: string;
  description: string;
  type: ArgType;
  required: boolean;
  /** The last argument may take the rest of the line (e.g. silence matchers). */
  rest?: boolean;
  /** Values offered while typing (slash-command autocomplete): resolved by the command's `complete`. */
  autocomplete?: boolean;
}

/** A platform-neutral reply; each chat renders it (embed, Block Kit, text). */
export interface CommandReply {
  title?: string;
  text?: string;
  fields?: { name: string; value: string; inline?: boolean }[];
  /** Long listings: one reply per page; chats show page 1 with next/prev. */
  pages?: CommandReply[];
  /** Visible only to the caller where the platform allows it. */
  ephemeral?: boolean;
  kind?: 'ok' | 'error' | 'usage';
}

export interface CommandContext {
  nc: NatsConnection;
  subjects: Subjects;
  caller: Caller;
  args: Record<string, string | number | undefined>;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Longer text for `$help <command>`. */
  description?: string;
  args: CommandArg[];
  /** Examples shown with the usage. */
  examples?: string[];
  run(ctx: CommandContext): Promise<CommandReply>;
  complete?(
    ctx: Omit<CommandContext, 'args'>,
    arg: string,
    partial: string,
  ): Promise<{ name: string; value: string }[]>;
}

export function usage(cmd: Command, prefix = '$'): string {
  const args = cmd.args.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(' ');
  return `${prefix}${cmd.name}${args ? ` ${args}` : ''}`;
}

export function usageReply(cmd: Command, problem: string, prefix = '$'): CommandReply {
  const lines = [problem, '', `Usage: \`${usage(cmd, prefix)}\``];
  for (const a of cmd.args) lines.push(`• \`${a.name}\`: ${a.description}`);
  if (cmd.examples?.length) lines.push('', 'Example:', ...cmd.examples.map((e) => `\`${prefix}${e}\``));
  return { title: `${prefix}${cmd.name}`, text: lines.join('\n'), kind: 'usage', ephemeral: true };
}

/** Splits a command line into words; "double" or 'single' quotes keep spaces. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

export type Parsed =
  | { ok: true; command: Command; args: Record<string, string | number | undefined> }
  | { ok: false; reply: CommandReply };

function convert(
  a: CommandArg,
  raw: string,
): { ok: true; value: string | number } | { ok: false; problem: string } {
  switch (a.type) {
    case 'number': {
      const n = Number(raw);
      return Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, problem: `\`${a.name}\` must be a number, got "${raw}"` };
    }
    case 'integer': {
      const n = Number(raw);
      return Number.isInteger(n)
        ? { ok: true, value: n }
        : { ok: false, problem: `\`${a.name}\` must be a whole number, got "${raw}"` };
    }
    case 'duration':
      try {
        return { ok: true, value: parseDuration(raw) };
      } catch {
        return { ok: false, problem: `\`${a.name}\` must be a duration like 30m, 1h or 2d, got "${raw}"` };
      }
    default:
      return { ok: true, value: raw };
  }
}

/** Commands registered by each domain (IBC, alerts, later ICS/Harmony); chats only parse, run and render. */
export class CommandRegistry {
  readonly #commands = new Map<string, Command>();

  constructor(readonly prefix = '$') {}

  register(...commands: Command[]): this {
    for (const c of commands) {
      if (this.#commands.has(c.name)) throw new Error(`command ${c.name} registered twice`);
      this.#commands.set(c.name, c);
    }
    return this;
  }

  get(name: string): Command | undefined {
    return this.#commands.get(name.toLowerCase());
  }

  list(): Command[] {
    return [...this.#commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Checks named arguments (slash commands, already split by the platform). */
  bind(cmd: Command, given: Record<string, string | number | undefined>): Parsed {
    const args: Record<string, string | number | undefined> = {};
    for (const a of cmd.args) {
      const v = given[a.name];
      if (v === undefined || v === '') {
        if (a.required) return { ok: false, reply: usageReply(cmd, `Missing \`${a.name}\`.`, this.prefix) };
        continue;
      }
      const c =
        typeof v === 'number' && a.type !== 'duration'
          ? ({ ok: true, value: v } as const)
          : convert(a, String(v));
      if (!c.ok) return { ok: false, reply: usageReply(cmd, c.problem, this.prefix) };
      args[a.name] = c.value;
    }
    return { ok: true, command: cmd, args };
  }

  /** Parses `$name arg1 arg2 …` (prefix commands). Returns null when the text is not a command at all. */
  parse(text: string): Parsed | null {
    const trimmed = text.trim();
    if (!trimmed.startsWith(this.prefix)) return null;
    const words = tokenize(trimmed.slice(this.prefix.length));
    const name = words.shift();
    if (!name) return null;
    const cmd = this.get(name);
    if (!cmd) {
      return {
        ok: false,
        reply: {
          title: 'Unknown command',
          text: `There is no \`${this.prefix}${name}\`. Commands: ${this.list()
            .map((c) => `\`${this.prefix}${c.name}\``)
            .join(', ')}. Try \`${this.prefix}help\`.`,
          kind: 'usage',
          ephemeral: true,
        },
      };
    }
    const given: Record<string, string> = {};
    for (const [i, a] of cmd.args.entries()) {
      if (i >= words.length) break;
      given[a.name] = a.rest ? words.slice(i).join(' ') : words[i]!;
    }
    const restArg = cmd.args.some((a) => a.rest);
    if (!restArg && words.length > cmd.args.length) {
      return {
        ok: false,
        reply: usageReply(
          cmd,
          `Too many arguments (${words.length} given, at most ${cmd.args.length}).`,
          this.prefix,
        ),
      };
    }
    return this.bind(cmd, given);
  }

  /** `$help` and `$help <command>`. */
  help(name?: string): CommandReply {
    if (name) {
      const cmd = this.get(name.replace(/^\$|^\//, ''));
      if (!cmd)
        return {
          title: 'Unknown command',
          text: `There is no \`${this.prefix}${name}\`.`,
          kind: 'usage',
          ephemeral: true,
        };
      const reply = usageReply(cmd, cmd.description ?? cmd.summary, this.prefix);
      return { ...reply, kind: 'ok' };
    }
    return {
      title: 'tocsin commands',
      fields: this.list().map((c) => ({ name: usage(c, this.prefix), value: c.summary })),
      text: `\`${this.prefix}help <command>\` for details.`,
      kind: 'ok',
      ephemeral: true,
    };
  }

  /** Runs a parsed command; never throws (a failure becomes an error reply). */
  async run(parsed: Parsed, base: Omit<CommandContext, 'args'>): Promise<CommandReply> {
    if (!parsed.ok) return parsed.reply;
    try {
      return await parsed.command.run({ ...base, args: parsed.args });
    } catch (err) {
      return { title: 'Command failed', text: (err as Error).message, kind: 'error', ephemeral: true };
    }
  }
}
