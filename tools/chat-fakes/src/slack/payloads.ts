// What Slack posts to an app's Request URLs (interactivity and slash commands), for tests of our services.

export interface SlackPayloadContext {
  user: { id: string; username?: string };
  channel: { id: string; name?: string };
  team?: { id: string; domain?: string };
  apiAppId?: string;
  responseUrl?: string;
  triggerId?: string;
}

export interface BlockActionsOptions extends SlackPayloadContext {
  actionId: string;
  value?: string;
  blockId?: string;
  /** The button's label. */
  text?: string;
  /** The message the button sits on (as chat.postMessage returned it). */
  message?: { ts: string; text?: string; blocks?: unknown[]; thread_ts?: string; [field: string]: unknown };
  /** Unix seconds with microseconds, e.g. '1718000000.123456'. */
  actionTs?: string;
}

const DEFAULT_TEAM = { id: 'T0FAKE0001', domain: 'tocsin-test' };
const DEFAULT_APP = 'A0FAKEAPP1';

/** A `block_actions` payload for a button click, shaped like the one Slack sends. */
export function blockActionsPayload(opts: BlockActionsOptions): Record<string, unknown> {
  const team = { domain: DEFAULT_TEAM.domain, ...(opts.team ?? DEFAULT_TEAM) };
  const username = opts.user.username ?? 'alice';
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    user: { id: opts.user.id, username, name: username, team_id: team.id },
    api_app_id: opts.apiAppId ?? DEFAULT_APP,
    token: 'deprecated-verification-token',
    container: opts.message
      ? { type: 'message', message_ts: opts.message.ts, channel_id: opts.channel.id, is_ephemeral: false }
      : { type: 'view' },
    trigger_id: opts.triggerId ?? triggerId(),
    team,
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: opts.channel.id, name: opts.channel.name ?? 'alerts' },
    state: { values: {} },
    response_url: opts.responseUrl ?? 'https://hooks.slack.com/actions/T0FAKE0001/1/fake',
    actions: [
      {
        action_id: opts.actionId,
        block_id: opts.blockId ?? 'actions',
        text: { type: 'plain_text', text: opts.text ?? opts.actionId, emoji: true },
        value: opts.value,
        type: 'button',
        action_ts: opts.actionTs ?? '1700000000.000001',
      },
    ],
  };
  if (opts.message) payload.message = { type: 'message', ...opts.message };
  return payload;
}

/** Interactivity requests are form-encoded with the JSON in a single `payload` field. */
export function interactionFormBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SlashCommandOptions extends SlackPayloadContext {
  command: string;
  text?: string;
}

let triggers = 0;
/** Slack gives every interaction its own trigger_id, so no two requests are byte-for-byte the same. */
const triggerId = () =>
  `${1000000000000 + ++triggers}.1000000000.${(triggers * 2654435761).toString(16).padStart(32, 'f')}`;

/** A slash command's form body with the fields Slack sends. */
export function slashCommandBody(opts: SlashCommandOptions): string {
  return new URLSearchParams(slashCommandPayload(opts)).toString();
}

/** The same fields as an object: what Socket Mode carries in a `slash_commands` envelope. */
export function slashCommandPayload(opts: SlashCommandOptions): Record<string, string> {
  const team = { domain: DEFAULT_TEAM.domain, ...(opts.team ?? DEFAULT_TEAM) };
  return {
    token: 'deprecated-verification-token',
    team_id: team.id,
    team_domain: team.domain,
    channel_id: opts.channel.id,
    channel_name: opts.channel.name ?? 'alerts',
    user_id: opts.user.id,
    user_name: opts.user.username ?? 'alice',
    command: opts.command,
    text: opts.text ?? '',
    api_app_id: opts.apiAppId ?? DEFAULT_APP,
    is_enterprise_install: 'false',
    response_url: opts.responseUrl ?? 'https://hooks.slack.com/commands/T0FAKE0001/1/fake',
    trigger_id: opts.triggerId ?? triggerId(),
  };
}
