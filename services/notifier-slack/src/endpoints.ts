import type { WebClient } from '@slack/web-api';
import { callRpc, RpcError } from '@tocsin/bus';
import type { Caller, CommandRegistry, CommandReply } from '@tocsin/commands';
import { type Alert, alerterRpc, type Subjects } from '@tocsin/events';
import { awaitState } from '@tocsin/notify';
import type { Logger, ServiceContext } from '@tocsin/runtime';
import { z } from 'zod';
import { type ButtonAction, decodeAction } from './actions.ts';
import { platformError } from './client.ts';
import type { MessageStore } from './messages.ts';
import { type RenderOptions, renderMessage, withAlerts } from './render.ts';
import { renderCommandReply, type SlashResponse } from './reply.ts';
import { verifySlackRequest } from './signature.ts';

export interface SlackEndpointOptions {
  signingSecret: string;
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
const blockActions = z.object({
  type: z.string(),
  user: z.object({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() }),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional() })).default([]),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  channel: z.object({ id: z.string() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
});

const slashCommand = z.object({
  command: z.string().default('/tocsin'),
  text: z.string().default(''),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().optional(),
  response_url: z.url().optional(),
});

/**
 * `POST /slack/interactions` (buttons) and `POST /slack/commands` (`/tocsin`). Every request is verified on its raw
 * body (signing secret, timestamp within 5 minutes) before anything is parsed or done; a failure answers 401.
 * Returns `drain()` for shutdown: button clicks are answered at once and carried out in the background.
 */
export function registerSlackRoutes(
  http: ServiceContext['http'],
  opts: SlackEndpointOptions,
): { drain(): Promise<void> } {
  const h = handlers(opts);
  http.register(async (app) => {
    // Scoped to this plugin: every body reaches the handlers as the exact string Slack signed.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.post('/slack/interactions', async (req, reply) => {
      const form = verified(req.body, req.headers, opts, reply);
      if (!form) return reply;
      const raw = form.get('payload');
      let payload: z.infer<typeof blockActions>;
      try {
        payload = blockActions.parse(JSON.parse(raw ?? ''));
      } catch {
        opts.onError?.('slack_bad_request');
        return reply.code(400).send({ error: 'payload is not a Slack interaction' });
      }
      if (payload.type === 'block_actions') h.track(h.onActions(payload));
      return reply.code(200).send();
    });

    app.post('/slack/commands', async (req, reply) => {
      const form = verified(req.body, req.headers, opts, reply);
      if (!form) return reply;
      const parsed = slashCommand.safeParse(Object.fromEntries(form));
      if (!parsed.success) {
        opts.onError?.('slack_bad_request');
        return reply.code(400).send({ error: 'not a Slack slash command' });
      }
      const answer = h.onCommand(parsed.data).catch((err: unknown): CommandReply => {
        opts.onError?.('slack_command');
        opts.log.error({ err: String(err) }, 'slash command failed');
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
      if (inTime) return reply.code(200).send(renderCommandReply(inTime));
      const url = parsed.data.response_url;
      if (url) h.track(answer.then((r) => h.respondLater(url, renderCommandReply(r))));
      return reply.code(200).send({
        response_type: 'ephemeral',
        text: url ? 'Working on it…' : 'This is taking longer than Slack waits; try again in a minute.',
      });
    });
  });
  return { drain: h.drain };
}

function verified(
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  opts: SlackEndpointOptions,
  reply: { code(n: number): { send(b: unknown): unknown } },
): URLSearchParams | null {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const rawBody = typeof body === 'string' ? body : '';
  const check = verifySlackRequest({
    signingSecret: opts.signingSecret,
    rawBody,
    timestamp: header('x-slack-request-timestamp'),
    signature: header('x-slack-signature'),
    nowMs: opts.now(),
  });
  if (!check.ok) {
    opts.onError?.('slack_signature');
    opts.log.warn({ reason: check.reason }, 'rejected a Slack request');
    reply.code(401).send({ error: check.reason });
    return null;
  }
  return new URLSearchParams(rawBody);
}

function handlers(opts: SlackEndpointOptions) {
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
    await client.chat.postEphemeral({ channel, user, text }).catch((err: unknown) => {
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

  async function act(action: ButtonAction, payload: z.infer<typeof blockActions>): Promise<void> {
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
      const what = action.kind === 'ack' ? 'acknowledge' : 'silence';
      const reason = err instanceof RpcError ? err.message : (platformError(err) ?? String(err));
      log.warn({ channel, user, action: action.kind, reason }, 'button action failed');
      await tell(channel, user, `Could not ${what}: ${reason}`);
    }
  }

  return {
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
    async onActions(payload: z.infer<typeof blockActions>): Promise<void> {
      for (const a of payload.actions) {
        const action = decodeAction(a.action_id, a.value);
        if (!action) {
          log.debug({ action_id: a.action_id }, 'ignored an interaction that is not a tocsin button');
          continue;
        }
        await act(action, payload);
      }
    },
    /** `/tocsin <command> <args>`; `/tocsin` and `/tocsin help [command]` list what there is. Never throws. */
    async onCommand(cmd: z.infer<typeof slashCommand>): Promise<CommandReply> {
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
}
