import { SocketModeClient, UnrecoverableSocketModeStartError } from '@slack/socket-mode';
import { SecretFileError } from '@tocsin/runtime';
import { platformError, sdkLogger } from './client.ts';
import { blockActions, type InteractionOptions, interactionHandlers, slashCommand } from './interactions.ts';
import type { ReplayGuard } from './replay.ts';

export interface SocketModeOptions extends InteractionOptions {
  /** The app-level token (`xapp-…`, scope `connections:write`). */
  appToken: string;
  /** Where the file came from, for the error when Slack rejects it. */
  appTokenFile: string;
  /** Web API base URL: `apps.connections.open` hands out the websocket URL. */
  apiUrl: string;
  /** Envelopes Slack sends again (not acknowledged in time) are acted on once. */
  replay: ReplayGuard;
  /** How long start-up waits for the first connection before going on connecting in the background. */
  connectTimeoutMs: number;
}

/** What Socket Mode hands each listener: the envelope's payload and the acknowledgement Slack waits for. */
interface Envelope {
  ack(response?: Record<string, unknown>): Promise<void>;
  envelope_id: string;
  body: unknown;
}

const UNRECOVERABLE = new Set<string>(Object.values(UnrecoverableSocketModeStartError));

/** The Slack error code of a failed call, also from the socket-mode package's own copy of the Web API client. */
function errorCode(err: unknown): string | null {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return platformError(err) ?? (typeof data?.error === 'string' ? data.error : null);
}

/**
 * Slack Socket Mode: Slack's events come over a websocket this service opens, so no public URL is needed. Slash
 * commands and button clicks reach the same handlers as over HTTP; each envelope is acknowledged by its id (a
 * slash command's acknowledgement carries its answer). An envelope seen before (Slack resends one that was not
 * acknowledged in time) is acknowledged and not acted on again.
 */
export async function startSocketMode(opts: SocketModeOptions): Promise<{ stop(): Promise<void> }> {
  const { log } = opts;
  const h = interactionHandlers(opts);
  const client = new SocketModeClient({
    appToken: opts.appToken,
    logger: sdkLogger(log),
    clientOptions: { slackApiUrl: opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/` },
  });

  /** Runs a listener so that nothing it throws reaches the SDK's event emitter. */
  const guarded =
    (kind: string, fn: (e: Envelope) => Promise<void>) =>
    (e: Envelope): void => {
      void (async () => {
        let first: boolean;
        try {
          first = await opts.replay.firstTime(`socket:${e.envelope_id}`);
        } catch (err) {
          // Not acknowledged: Slack sends it again, by which time the database may answer.
          opts.onError?.('slack_replay_check');
          log.warn({ err: String(err), kind }, 'could not check a Socket Mode envelope against replays');
          return;
        }
        if (!first) {
          log.info({ envelope_id: e.envelope_id, kind }, 'Socket Mode envelope already handled');
          await e.ack();
          return;
        }
        await fn(e);
      })().catch((err: unknown) => {
        opts.onError?.('slack_socket');
        log.warn({ err: String(err), kind }, 'Socket Mode envelope failed');
      });
    };

  client.on(
    'slash_commands',
    guarded('slash_commands', async (e) => {
      const parsed = slashCommand.safeParse(e.body);
      if (!parsed.success) {
        opts.onError?.('slack_bad_request');
        await e.ack({ response_type: 'ephemeral', text: 'That did not look like a slash command.' });
        return;
      }
      await e.ack({ ...(await h.answerCommand(parsed.data)) });
    }),
  );
  client.on(
    'interactive',
    guarded('interactive', async (e) => {
      // Answered at once, as over HTTP; the work goes on in the background.
      await e.ack();
      const parsed = blockActions.safeParse(e.body);
      if (!parsed.success) {
        opts.onError?.('slack_bad_request');
        log.warn('a Socket Mode interaction that is not a Slack interaction payload');
        return;
      }
      if (parsed.data.type === 'block_actions') h.track(h.onActions(parsed.data));
    }),
  );
  client.on('connected', () => log.info('Slack Socket Mode connected'));
  client.on('reconnecting', () => log.info('Slack Socket Mode reconnecting'));

  let stopped = false;
  const started = client.start().then(
    () => 'connected' as const,
    (err: unknown) => err,
  );
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'waiting'>((resolve) => {
    timer = setTimeout(() => resolve('waiting'), opts.connectTimeoutMs);
  });
  const outcome = await Promise.race([started, waited]);
  clearTimeout(timer);
  if (outcome === 'waiting') {
    log.warn(
      { waited_ms: opts.connectTimeoutMs },
      'Slack Socket Mode not connected yet; still trying in the background (buttons and /tocsin wait for it)',
    );
    void started.then((late) => {
      if (late === 'connected' || stopped) return;
      log.error({ reason: errorCode(late) ?? String(late) }, 'Slack Socket Mode could not connect; retrying');
      retryInBackground();
    });
  } else if (outcome !== 'connected') {
    const code = errorCode(outcome);
    if (code && (UNRECOVERABLE.has(code) || code === 'not_allowed_token_type' || code === 'token_revoked')) {
      throw new SecretFileError(`Slack rejected the app token in ${opts.appTokenFile}: ${code}`);
    }
    log.warn(
      { reason: code ?? String(outcome) },
      'Slack Socket Mode could not connect; retrying in the background',
    );
    retryInBackground();
  }

  function retryInBackground(): void {
    const again = setTimeout(() => {
      if (stopped) return;
      client.start().catch((err: unknown) => {
        log.warn({ reason: errorCode(err) ?? String(err) }, 'Slack Socket Mode could not connect');
        retryInBackground();
      });
    }, 30_000);
    again.unref();
  }

  return {
    async stop() {
      stopped = true;
      await client.disconnect().catch(() => undefined);
      await h.drain();
    },
  };
}
