import { callRpc } from '@tocsin/bus';
import type { Caller, CommandRegistry, CommandReply } from '@tocsin/commands';
import { type Alert, alerterRpc, type Subjects } from '@tocsin/events';
import { actionProblem, awaitState, resolveAlerts, resolveTargets, silenceMatchers } from '@tocsin/notify';
import type { Clock, Logger, ServiceContext } from '@tocsin/runtime';
import type { Bot, Context } from 'grammy';
import { type ButtonAction, clip, codeSpans, decodeCallback, esc, type MessageState } from './render.ts';
import type { TelegramStore } from './store.ts';

/** Telegram's command names: 1–32 of a-z, 0-9 and _. */
const COMMAND_NAME = /^[a-z0-9_]{1,32}$/;

/** The registry's commands as Telegram's command list (names Telegram would refuse are left out, logged). */
export function botCommands(registry: CommandRegistry, log?: Pick<Logger, 'warn'>) {
  const out: { command: string; description: string }[] = [];
  for (const c of registry.list()) {
    if (!COMMAND_NAME.test(c.name)) {
      log?.warn(
        { command: c.name },
        'command name not allowed by Telegram ([a-z0-9_]{1,32}); not registered',
      );
      continue;
    }
    out.push({ command: c.name, description: clip(c.summary, 256) || c.name });
  }
  return out.slice(0, 100);
}

/** A command reply in HTML: everything from users and chains escaped, `code` spans kept, no mention at all. */
export function renderCommandReply(reply: CommandReply, page = 0): string {
  const pages = reply.pages?.length ? reply.pages : null;
  const at = pages ? Math.max(0, Math.min(page, pages.length - 1)) : 0;
  const shown = pages ? { ...pages[at]!, title: pages[at]!.title ?? reply.title } : reply;
  const lines: string[] = [];
  if (shown.title) lines.push(`<b>${codeSpans(esc(clip(shown.title, 200)))}</b>`);
  if (shown.text) lines.push(codeSpans(esc(clip(shown.text, 2500))));
  let used = lines.join('\n').length;
  let count = 0;
  const fields = shown.fields ?? [];
  for (const f of fields) {
    const line = `\n<b>${codeSpans(esc(clip(f.name, 200)))}</b>\n${codeSpans(esc(clip(f.value, 600)))}`;
    if (used + line.length > 3800) break;
    lines.push(line);
    used += line.length;
    count++;
  }
  if (count < fields.length) lines.push(`\n… and ${fields.length - count} more`);
  if (pages && pages.length > 1) lines.push(`\n<i>page ${at + 1} of ${pages.length}</i>`);
  return lines.join('\n') || 'Done.';
}

/** ◀ ▶ under a paged reply; a press re-runs the command it answers (the message it replies to) for that page. */
export function pageKeyboard(reply: CommandReply, page: number) {
  const total = reply.pages?.length ?? 0;
  if (total <= 1) return undefined;
  const row: { text: string; callback_data: string }[] = [];
  if (page > 0) row.push({ text: '◀', callback_data: `pg:${page - 1}` });
  if (page < total - 1) row.push({ text: '▶', callback_data: `pg:${page + 1}` });
  return { inline_keyboard: [row] };
}

const COMMAND_LINE = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)/;

export interface ChatOptions {
  bot: Bot;
  registry: CommandRegistry;
  nc: ServiceContext['nc'];
  subjects: Subjects;
  store: TelegramStore;
  /** Configured admin user ids (admins in every chat). */
  admins: number[];
  log: Pick<Logger, 'warn' | 'info'>;
  /** True for the one process that handles an update (replicas, a redelivered update after a crash). */
  claim(updateId: number): Promise<boolean>;
  editMessage(chatId: number, messageId: number, change: (s: MessageState) => MessageState): Promise<boolean>;
  waitClock?: Clock;
  now(): number;
}

/** Chat admins (creator, administrators) and configured users; looked up per chat and kept for a minute. */
function adminCheck(opts: ChatOptions) {
  const cache = new Map<string, { admin: boolean; at: number }>();
  return async (chatId: number, chatType: string, userId: number): Promise<boolean> => {
    if (opts.admins.includes(userId)) return true;
    if (chatType === 'private') return false;
    const key = `${chatId}:${userId}`;
    const hit = cache.get(key);
    if (hit && opts.now() - hit.at < 60_000) return hit.admin;
    try {
      const member = await opts.bot.api.getChatMember(chatId, userId);
      const admin = member.status === 'creator' || member.status === 'administrator';
      cache.set(key, { admin, at: opts.now() });
      return admin;
    } catch (err) {
      opts.log.warn(
        { chatId, err: String(err) },
        'could not check chat admins; treating the user as a member',
      );
      return false;
    }
  };
}

/** Commands, and the Acknowledge / Silence buttons of alert messages, on a grammY bot. */
export function attachChat(opts: ChatOptions): void {
  const { bot, registry, log } = opts;
  const isAdmin = adminCheck(opts);
  const callerOf = async (ctx: Context): Promise<Caller> => {
    const from = ctx.from!;
    return {
      owner: `telegram:${from.id}`,
      isAdmin: await isAdmin(ctx.chat!.id, ctx.chat!.type, from.id),
      platform: 'telegram',
      displayName: [from.first_name, from.last_name].filter(Boolean).join(' ') || String(from.id),
    };
  };

  /** The command in a message's text (`/cmd args`, `/cmd@thisbot args`), or null (not one, or another bot's). */
  const commandLine = (text: string): string | null => {
    const m = COMMAND_LINE.exec(text);
    if (!m) return null;
    // `/cmd@otherbot` is for another bot in the group.
    if (m[2] && m[2].toLowerCase() !== (bot.botInfo.username ?? '').toLowerCase()) return null;
    return `/${m[1]}${text.slice(m[0].length)}`;
  };

  async function run(ctx: Context, line: string): Promise<CommandReply | null> {
    const parsed = registry.parse(line);
    if (!parsed) return null;
    const caller = await callerOf(ctx);
    // A reply with a secret (a new agent token) only in a private chat with the bot, never in a group.
    if (parsed.ok && parsed.command.secretWhen?.(parsed.args) && ctx.chat?.type !== 'private') {
      return {
        title: 'Only in a private chat',
        text: `This reply would contain a secret. Send /${parsed.command.name} to the bot in a private chat.`,
        kind: 'usage',
      };
    }
    if (parsed.ok && parsed.command.name === 'silence' && !caller.isAdmin) {
      return {
        title: 'Not allowed',
        text: 'Only the chat’s admins (or users listed in telegram.admins) may silence alerts.',
        kind: 'error',
      };
    }
    return registry.run(parsed, { nc: opts.nc, subjects: opts.subjects, caller });
  }

  bot.on('message:text', async (ctx) => {
    const line = commandLine(ctx.msg.text);
    if (!line || !ctx.from || ctx.from.is_bot) return;
    if (!(await opts.claim(ctx.update.update_id))) return;
    const answer = await run(ctx, line);
    if (!answer) return;
    const markup = pageKeyboard(answer, 0);
    await ctx.reply(renderCommandReply(answer), {
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
      ...(ctx.msg.is_topic_message && ctx.msg.message_thread_id !== undefined
        ? { message_thread_id: ctx.msg.message_thread_id }
        : {}),
      ...(markup ? { reply_markup: markup } : {}),
    });
  });

  bot.on('callback_query:data', async (ctx) => {
    if (!(await opts.claim(ctx.update.update_id))) return;
    const message = ctx.callbackQuery.message;
    const page = /^pg:(\d{1,3})$/.exec(ctx.callbackQuery.data);
    if (page && message) {
      // A page of a listing: the command is the message the listing answers.
      const origin = message.reply_to_message?.text;
      const line = origin ? commandLine(origin) : null;
      const answer = line ? await run(ctx, line) : null;
      if (!answer) {
        await ctx.answerCallbackQuery({ text: 'Run the command again for a fresh listing.' });
        return;
      }
      const n = Number(page[1]);
      const markup = pageKeyboard(answer, n);
      await ctx.api
        .editMessageText(message.chat.id, message.message_id, renderCommandReply(answer, n), {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(markup ? { reply_markup: markup } : {}),
        })
        .catch((err: unknown) => {
          if (!/message is not modified/.test(String(err))) throw err;
        });
      await ctx.answerCallbackQuery();
      return;
    }
    const action = decodeCallback(ctx.callbackQuery.data);
    if (!action || !message) {
      await ctx.answerCallbackQuery({ text: 'This button is no longer valid.' });
      return;
    }
    const answer = await pressed(ctx, action, message.chat.id, message.message_id, message.date * 1000);
    await ctx.answerCallbackQuery({ text: clip(answer.text, 200), show_alert: answer.alert });
  });

  async function pressed(
    ctx: Context,
    action: ButtonAction,
    chatId: number,
    messageId: number,
    postedAt: number,
  ): Promise<{ text: string; alert: boolean }> {
    // A message's state is stored once it is posted: a press moments later may come first.
    const stored = await awaitState(() => opts.store.load(chatId, messageId), {
      postedAt,
      ...(opts.waitClock ? { clock: opts.waitClock } : {}),
    });
    if (!stored)
      return {
        text: 'I no longer have the details of this alert; use /alerts, /ack or /silence.',
        alert: true,
      };
    const alerts = stored.state.notification.alerts;
    const targets = alerts.filter(
      (a) => a.state !== 'resolved' && (action.episode === '*' || a.episode_id === action.episode),
    );
    if (!targets.length) return { text: 'Already resolved.', alert: false };
    const caller = await callerOf(ctx);
    const by = { by: caller.owner, is_admin: caller.isAdmin };
    const names = { [caller.owner]: caller.displayName ?? caller.owner };

    if (action.kind === 'ack') {
      const results = await Promise.allSettled(
        targets.map((a) =>
          callRpc(opts.nc, opts.subjects.rpc('alerter', 'ack'), { ...by, episode_id: a.episode_id }).then(
            (r) => alerterRpc.ack.result.parse(r).alert,
          ),
        ),
      );
      const acked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (acked.length) {
        const byEpisode = new Map(acked.map((a) => [a.episode_id, a]));
        await opts.editMessage(chatId, messageId, (s) => ({
          ...s,
          ackedBy: { ...s.ackedBy, ...names },
          notification: {
            ...s.notification,
            alerts: s.notification.alerts.map((a) => byEpisode.get(a.episode_id) ?? a),
          },
        }));
      }
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) return { text: `Not acknowledged: ${actionProblem(failed.reason)}`, alert: true };
      return { text: '✋ Acknowledged', alert: false };
    }

    if (!caller.isAdmin) {
      const verb = action.kind === 'resolve' ? 'resolve' : 'silence';
      return {
        text: `Only the chat’s admins (or users listed in telegram.admins) may ${verb} alerts.`,
        alert: true,
      };
    }
    if (action.kind === 'resolve') return resolve(chatId, messageId, targets, by, names);
    const matchers = silenceMatchers(targets);
    if (!matchers)
      return {
        text: 'These alerts come from different rules: silence them one by one, or with /silence.',
        alert: true,
      };
    try {
      const { silence } = alerterRpc.silence.result.parse(
        await callRpc(opts.nc, opts.subjects.rpc('alerter', 'silence'), {
          ...by,
          matchers,
          duration_s: action.hours * 3600,
          reason: `from Telegram by ${caller.displayName ?? caller.owner}`,
        }),
      );
      await opts.editMessage(chatId, messageId, (s) => ({
        ...s,
        ackedBy: { ...s.ackedBy, ...names },
        silenced: { by: caller.owner, until: silence.ends_at },
      }));
      return { text: `🔕 Silenced for ${action.hours} h (/unsilence ${silence.id} ends it)`, alert: false };
    } catch (err) {
      log.warn({ err: String(err) }, 'silence from a button failed');
      return { text: `Not silenced: ${actionProblem(err)}`, alert: true };
    }
  }

  /** Resolve: the alerter decides (only notice-like alerts, only admins); the message shows who resolved. */
  async function resolve(
    chatId: number,
    messageId: number,
    targets: Alert[],
    by: { by: string; is_admin: boolean },
    names: Record<string, string>,
  ): Promise<{ text: string; alert: boolean }> {
    const { resolved, failed } = await resolveAlerts(opts.nc, opts.subjects, resolveTargets(targets), by);
    if (resolved.length) {
      const byEpisode = new Map(resolved.map((a) => [a.episode_id, a]));
      await opts.editMessage(chatId, messageId, (s) => ({
        ...s,
        ackedBy: { ...s.ackedBy, ...names },
        resolvedBy: by.by,
        notification: {
          ...s.notification,
          alerts: s.notification.alerts.map((a) => byEpisode.get(a.episode_id) ?? a),
        },
      }));
    }
    if (failed) return { text: `Not resolved: ${failed}`, alert: true };
    return { text: '✅ Resolved', alert: false };
  }
}
