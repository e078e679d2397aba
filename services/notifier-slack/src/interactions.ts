import type { WebClient } from '@slack/web-api';
import { callRpc, isRpcError } from '@tocsin/bus';
import type { Caller, CommandRegistry, CommandReply } from '@tocsin/commands';
import { type Alert, alerterRpc, type Subjects } from '@tocsin/events';
import { awaitState, resolveAlerts } from '@tocsin/notify';
import type { Logger, ServiceContext } from '@tocsin/runtime';
import { z } from 'zod';
import { type ButtonAction, decodeAction } from './actions.ts';
import { esc } from './blocks.ts';
import { platformError } from './client.ts';
import type { MessageStore } from './messages.ts';
import { type RenderOptions, renderMessage, withAlerts } from './render.ts';
import { renderCommandReply, type SlashResponse } from './reply.ts';

/** What the buttons and `/tocsin` need, whichever way Slack delivers them (HTTP endpoints or Socket Mode). */
export interface InteractionOptions {
  now: () => number;
  log: Logger;
  client: WebClient;
  store: MessageStore;
  render: RenderOptions;
  nc: ServiceContext['nc'];
  subjects: Subjects;
  registry: CommandRegistry;
  /** Slack user ids treated as admins by commands and the alerter. */
  adminUsers: string[];
  /** Counts rejected and failed requests (the runtime's tocsin_errors_total). */
  onError?(kind: string): void;
  /** RPC timeout of the buttons' calls to the alerter. */
  rpcTimeoutMs?: number;
  /** How long a slash command may take before it is answered later through `response_url` (Slack waits 3 s). */
  commandDeadlineMs?: number;
}

/** The part of a `block_actions` payload we read. */
export const blockActions = z.object({
  type: z.string(),
  user: z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).default([]),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  channel: z.object({ id: z.string() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
});

/** The fields of a slash command we read (a form over HTTP, a JSON object over Socket Mode). */
export const slashCommand = z.object({
  command: z.string().default('/tocsin'),
  text: z.string().default(''),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().optional(),
  response_url: z.url().optional(),
});
export type BlockActions = z.infer<typeof blockActions>;
export type SlashCommand = z.infer<typeof slashCommand>;
/** A slash command's answer: a rendered reply, or a short note when the reply comes later. */
export type CommandAnswer = Pick<SlashResponse, 'response_type' | 'text'> & {
  blocks?: SlashResponse['blocks'];
};

/**
 * The handlers behind the buttons and `/tocsin`. Button clicks are answered at once and carried out in the
 * background (`track`); `drain()` waits for them at shutdown.
 */
export function interactionHandlers(opts: InteractionOptions) {
  const { client, store, log, nc, subjects } = opts;
  const pending = new Set<Promise<void>>();
  const timeout = opts.rpcTimeoutMs ?? 2500;
  const callerFor = (userId: string, name?: string): Caller => ({
    owner: `slack:${userId}`,
    isAdmin: opts.adminUsers.includes(userId),
    platform: 'slack',
    ...(name ? { displayName: name } : {}),
  });

  async function tell(channel: string | undefined, user: string, text: string): Promise<void> {
    if (!channel) return;
    await client.chat.postEphemeral({ channel, user, text: esc(text) }).catch((err: unknown) => {
      log.warn({ channel, reason: platformError(err) ?? String(err) }, 'could not send an ephemeral reply');
    });
  }

  /** Re-renders the clicked message with what the alerter answered. */
  async function refresh(
    channel: string | undefined,
    ts: string | undefined,
    change: Parameters<MessageStore['update']>[2],
  ) {
    if (!channel || !ts) return;
    // The state is saved right after the post (a Slack message is one post): a click on a message posted moments
    // ago may come first. A short patience, as a stop drains the clicks in progress.
    const state = await awaitState(() => store.update(channel, ts, change), {
      postedAt: Number(ts) * 1000,
      patienceMs: 5_000,
    });
    if (!state) {
      log.debug({ channel, ts }, 'clicked message has no stored state; not editing it');
      return;
    }
    await client.chat.update({ channel, ts, ...renderMessage(state, opts.render) });
  }

  async function act(action: ButtonAction, payload: BlockActions): Promise<void> {
    const user = payload.user.id;
    const caller = { by: `slack:${user}`, is_admin: opts.adminUsers.includes(user) };
    const channel = payload.container?.channel_id ?? payload.channel?.id;
    const ts = payload.container?.message_ts ?? payload.message?.ts;
    try {
      if (action.kind === 'ack') {
        const acked: Alert[] = [];
        for (const episode_id of action.episodes) {
          const res = await callRpc(
            nc,
            subjects.rpc('alerter', 'ack'),
            {
              ...caller,
              episode_id,
              ...(action.episodes.length === 1 && action.fingerprint
                ? { fingerprint: action.fingerprint }
                : {}),
            },
            timeout,
          );
          const parsed = alerterRpc.ack.result.safeParse(res);
          if (parsed.success) acked.push(parsed.data.alert);
        }
        // The alerter may not echo the alert; the message still shows who acknowledged.
        const at = new Date(opts.now()).toISOString();
        await refresh(channel, ts, (s) =>
          withAlerts(
            s,
            s.notification.alerts
              .filter((a) => action.episodes.includes(a.episode_id))
              .map(
                (a) =>
                  acked.find((x) => x.episode_id === a.episode_id) ?? {
                    ...a,
                    acknowledged: { by: caller.by, at },
                  },
              ),
          ),
        );
      } else if (action.kind === 'resolve') {
        // The alerter decides: only notice-like alerts (manual_resolve), only admins; a refusal is told.
        const { resolved, failed } = await resolveAlerts(nc, subjects, action.episodes, caller, timeout);
        if (resolved.length)
          await refresh(channel, ts, (s) => ({ ...withAlerts(s, resolved), resolvedBy: caller.by }));
        if (failed) await tell(channel, user, `Could not resolve: ${failed}`);
      } else {
        const res = await callRpc(
          nc,
          subjects.rpc('alerter', 'silence'),
          {
            ...caller,
            matchers: action.matchers,
            duration_s: action.duration_s,
            reason: `from Slack by ${payload.user.username ?? payload.user.name ?? user}`,
          },
          timeout,
        );
        const parsed = alerterRpc.silence.result.safeParse(res);
        const until = parsed.success
          ? parsed.data.silence.ends_at
          : new Date(opts.now() + action.duration_s * 1000).toISOString();
        await refresh(channel, ts, (s) => ({ ...s, silence: { by: caller.by, until } }));
      }
    } catch (err) {
      opts.onError?.('slack_action');
      const what = action.kind === 'ack' ? 'acknowledge' : action.kind === 'resolve' ? 'resolve' : 'silence';
      const reason = isRpcError(err) ? err.message : (platformError(err) ?? String(err));
      log.warn({ channel, user, action: action.kind, reason }, 'button action failed');
      await tell(channel, user, `Could not ${what}: ${reason}`);
    }
  }

  const api = {
    track(p: Promise<void>) {
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    /** Posts a late command answer to the response_url Slack gave with the command. */
    async respondLater(url: string, body: SlashResponse): Promise<void> {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) log.warn({ status: res.status }, 'late command answer refused by Slack');
      } catch (err) {
        log.warn({ err: String(err) }, 'could not send a late command answer');
      }
    },
    async drain() {
      await Promise.allSettled([...pending]);
    },
    async onActions(payload: BlockActions): Promise<void> {
      for (const a of payload.actions) {
        const action = decodeAction(a.action_id, a.value);
        if (!action) {
          log.debug({ action_id: a.action_id }, 'ignored an interaction that is not a tocsin button');
          // One of ours that does not read back (tampered, or from an older version): say so.
          if (a.action_id.startsWith('tocsin_'))
            await tell(
              payload.container?.channel_id ?? payload.channel?.id,
              payload.user.id,
              'This button is no longer valid.',
            );
          continue;
        }
        await act(action, payload);
      }
    },
    /**
     * What to answer a slash command with, in time for Slack (3 s): the command's reply, or "Working on it…" with
     * the reply posted to its `response_url` when done. Never throws.
     */
    async answerCommand(cmd: SlashCommand): Promise<CommandAnswer> {
      const answer = api.onCommand(cmd).catch((err: unknown): CommandReply => {
        opts.onError?.('slack_command');
        log.error({ err: String(err) }, 'slash command failed');
        return {
          title: 'Command failed',
          text: 'Something went wrong; see the notifier log.',
          kind: 'error',
          ephemeral: true,
        };
      });
      // Slack gives up on an answer after 3 s; a slower command answers later through response_url.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), opts.commandDeadlineMs ?? 2500);
      });
      const inTime = await Promise.race([answer, late]);
      clearTimeout(timer);
      if (inTime) return renderCommandReply(inTime);
      const url = cmd.response_url;
      if (url) api.track(answer.then((r) => api.respondLater(url, renderCommandReply(r))));
      return {
        response_type: 'ephemeral',
        text: url ? 'Working on it…' : 'This is taking longer than Slack waits; try again in a minute.',
      };
    },
    /** `/tocsin <command> <args>`; `/tocsin` and `/tocsin help [command]` list what there is. Never throws. */
    async onCommand(cmd: SlashCommand): Promise<CommandReply> {
      const caller = callerFor(cmd.user_id, cmd.user_name);
      const line = cmd.text.trim();
      const [word, ...rest] = line.split(/\s+/);
      if (!line || (word?.toLowerCase() === 'help' && !opts.registry.get('help'))) {
        return opts.registry.help(rest[0]);
      }
      const parsed = opts.registry.parse(`${opts.registry.prefix}${line}`);
      if (!parsed) return opts.registry.help();
      return opts.registry.run(parsed, { nc, subjects, caller });
    },
  };
  return api;
}
