import type { ServiceContext } from '@tocsin/runtime';
import { blockActions, type InteractionOptions, interactionHandlers, slashCommand } from './interactions.ts';
import type { ReplayGuard } from './replay.ts';
import { verifySlackRequest } from './signature.ts';

export interface SlackEndpointOptions extends InteractionOptions {
  signingSecret: string;
  /** Remembers accepted requests for the five-minute window, so a replayed one does nothing. */
  replay: ReplayGuard;
}

type Reply = { code(n: number): { send(b: unknown): unknown } };

/**
 * `POST /slack/interactions` (buttons) and `POST /slack/commands` (`/tocsin`). Every request is verified on its raw
 * body (signing secret, timestamp within 5 minutes) before anything is parsed or done; a failure answers 401. A
 * request already accepted once (same signature, so same timestamp and body) answers 409 and does nothing again.
 * Returns `drain()` for shutdown: button clicks are answered at once and carried out in the background.
 */
export function registerSlackRoutes(
  http: ServiceContext['http'],
  opts: SlackEndpointOptions,
): { drain(): Promise<void> } {
  const h = interactionHandlers(opts);
  http.register(async (app) => {
    // Scoped to this plugin: every body reaches the handlers as the exact string Slack signed.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.post('/slack/interactions', async (req, reply) => {
      const form = await verified(req.body, req.headers, opts, reply);
      if (!form) return reply;
      const raw = form.get('payload');
      let payload: ReturnType<typeof blockActions.parse>;
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
      const form = await verified(req.body, req.headers, opts, reply);
      if (!form) return reply;
      const parsed = slashCommand.safeParse(Object.fromEntries(form));
      if (!parsed.success) {
        opts.onError?.('slack_bad_request');
        return reply.code(400).send({ error: 'not a Slack slash command' });
      }
      return reply.code(200).send(await h.answerCommand(parsed.data));
    });
  });
  return { drain: h.drain };
}

async function verified(
  body: unknown,
  headers: Record<string, string | string[] | undefined>,
  opts: SlackEndpointOptions,
  reply: Reply,
): Promise<URLSearchParams | null> {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const rawBody = typeof body === 'string' ? body : '';
  const signature = header('x-slack-signature');
  const check = verifySlackRequest({
    signingSecret: opts.signingSecret,
    rawBody,
    timestamp: header('x-slack-request-timestamp'),
    signature,
    nowMs: opts.now(),
  });
  if (!check.ok) {
    opts.onError?.('slack_signature');
    opts.log.warn({ reason: check.reason }, 'rejected a Slack request');
    reply.code(401).send({ error: check.reason });
    return null;
  }
  // The signature covers the timestamp and the body: seen before means the same request sent again.
  let first: boolean;
  try {
    first = await opts.replay.firstTime(`http:${signature}`);
  } catch (err) {
    opts.onError?.('slack_replay_check');
    opts.log.warn({ err: String(err) }, 'could not check a Slack request against replays; refused');
    reply.code(503).send({ error: 'cannot check for replays right now' });
    return null;
  }
  if (!first) {
    opts.onError?.('slack_replay');
    opts.log.warn('refused a replayed Slack request');
    reply.code(409).send({ error: 'replayed request' });
    return null;
  }
  return new URLSearchParams(rawBody);
}
