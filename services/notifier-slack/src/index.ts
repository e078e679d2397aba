import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommandRegistry, defaultCommands } from '@tocsin/commands';
import { notifierService, withBurstDigest } from '@tocsin/notify';
import { SecretFileError } from '@tocsin/runtime';
import { platformError, slackClient } from './client.ts';
import { slackSection } from './config.ts';
import { registerSlackRoutes } from './endpoints.ts';
import type { InteractionOptions } from './interactions.ts';
import { messageStore } from './messages.ts';
import { slackProvider } from './provider.ts';
import { replayGuard } from './replay.ts';
import { startSocketMode } from './socketMode.ts';

export { ACTION, alertButtons, decodeAction } from './actions.ts';
export { type Block, LIMITS, type SlackMessage } from './blocks.ts';
export { slackClient, toDeliveryError } from './client.ts';
export { type SlackConfig, slackConfig, slackSection } from './config.ts';
export { registerSlackRoutes, type SlackEndpointOptions } from './endpoints.ts';
export { type InteractionOptions, interactionHandlers } from './interactions.ts';
export { type MessageStore, messageStore } from './messages.ts';
export { planDelivery, type Step } from './plan.ts';
export { METADATA_EVENT, slackProvider } from './provider.ts';
export {
  applyTransition,
  type MessageState,
  renderMessage,
  renderNotification,
  renderThreadReply,
} from './render.ts';
export { type ReplayGuard, replayGuard, SEEN_REQUESTS } from './replay.ts';
export { renderCommandReply, type SlashResponse } from './reply.ts';
export { slackSignature, verifySlackRequest } from './signature.ts';
export { type SocketModeOptions, startSocketMode } from './socketMode.ts';

const migrations = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export interface SlackNotifierOptions {
  /**
   * The commands offered as `/tocsin <command>`. Default: every domain's commands plus help
   * (`defaultCommands('/tocsin ')` from @tocsin/commands).
   */
  commands?: () => CommandRegistry;
  /** How long `/tocsin` may take before answering through response_url instead (default 2.5 s). */
  commandDeadlineMs?: number;
}

/** The Slack notifier service: alerts to channels, buttons and `/tocsin` on its HTTP port (default 9462). */
export function slackNotifier(options: SlackNotifierOptions = {}) {
  return notifierService({
    name: 'notifier-slack',
    config: { section: 'slack', schema: slackSection },
    defaultPort: 9462,
    migrations: [{ name: 'notifier-slack', dir: migrations }],
    consumer: (cfg) => ({ concurrency: cfg.concurrency, ackWaitMs: cfg.ack_wait }),
    async createProvider(ctx) {
      const cfg = ctx.section;
      const log = ctx.log;
      const client = slackClient(ctx.readSecret(cfg.token_file), {
        apiUrl: cfg.api_url,
        timeoutMs: cfg.timeout,
        rateLimitRetries: cfg.rate_limit_retries,
        log,
      });
      try {
        const auth = await client.auth.test();
        log.info({ team: auth.team, bot_user: auth.user_id }, 'connected to Slack');
      } catch (err) {
        const code = platformError(err);
        // A rejected token will never work: stop with the reason. Slack being down is not a reason to stop.
        if (
          code === 'invalid_auth' ||
          code === 'not_authed' ||
          code === 'token_revoked' ||
          code === 'account_inactive'
        ) {
          throw new SecretFileError(`Slack rejected the bot token in ${cfg.token_file}: ${code}`);
        }
        log.warn({ reason: code ?? String(err) }, 'could not reach Slack at startup; alerts will be retried');
      }
      const store = messageStore(ctx.pool);
      const interactions: InteractionOptions = {
        now: () => ctx.clock.now(),
        log: log.child({ component: 'slack-endpoints' }),
        client,
        store,
        render: { mentions: cfg.mentions },
        nc: ctx.nc,
        subjects: ctx.subjects,
        registry: options.commands?.() ?? defaultCommands('/tocsin '),
        adminUsers: cfg.admin_users,
        onError: (kind) => ctx.metrics.errors.inc({ kind }),
        ...(options.commandDeadlineMs ? { commandDeadlineMs: options.commandDeadlineMs } : {}),
      };
      // Shared by the replicas (PostgreSQL), so a request replayed to another one is refused too.
      const replay = replayGuard(ctx.pool);
      if (cfg.signing_secret_file) {
        const routes = registerSlackRoutes(ctx.http, {
          ...interactions,
          signingSecret: ctx.readSecret(cfg.signing_secret_file),
          replay,
        });
        ctx.onStop(() => routes.drain());
      }
      if (cfg.socket_mode && cfg.app_token_file) {
        const appToken = ctx.readSecret(cfg.app_token_file);
        if (!appToken.startsWith('xapp-')) {
          throw new SecretFileError(`${cfg.app_token_file} does not hold an app-level token (xapp-…)`);
        }
        const socket = await startSocketMode({
          ...interactions,
          log: log.child({ component: 'slack-socket-mode' }),
          appToken,
          appTokenFile: cfg.app_token_file,
          apiUrl: cfg.api_url,
          replay,
          connectTimeoutMs: cfg.timeout,
        });
        ctx.onStop(() => socket.stop());
      }
      if (!cfg.signing_secret_file && !cfg.socket_mode) {
        log.info('no slack.signing_secret_file and no slack.socket_mode: buttons and /tocsin are disabled');
      }
      // Real time on purpose: this paces calls to Slack, whose rate limits run on the wall clock.
      return withBurstDigest(slackProvider({ client, config: cfg, store, log }), {
        burst: cfg.rate.burst,
        perMs: cfg.rate.per,
      });
    },
  });
}

export default slackNotifier();
