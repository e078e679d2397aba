export {
  type FakeDiscord,
  type FakeDiscordOptions,
  type RequestFilter,
  startFakeDiscord,
  type UserMessageSpec,
} from './discord/fake-discord.ts';
export type { DiscordFault, RouteMatcher } from './discord/faults.ts';
export type { GatewayPayload } from './discord/gateway.ts';
export { Intents } from './discord/intents.ts';
export type {
  CommandOptions,
  DispatchedInteraction,
  InteractionResponse,
  InteractionSpec,
  MemberSpec,
  UserSpec,
} from './discord/interactions.ts';
export type { DiscordRequest } from './discord/rest.ts';
export type { DiscordMessage, DiscordUser } from './discord/wire.ts';
export type { FakeGuild, FakeWebhook, GuildSpec } from './discord/world.ts';
export type { FaultHandle } from './fault-book.ts';
export type { RecordedFile } from './http.ts';
export { pathMatches } from './path-pattern.ts';
export {
  type FakeSlack,
  type FakeSlackOptions,
  type ResponseUrlPost,
  type SlackFault,
  type SlackMatcher,
  type SlackRequest,
  startFakeSlack,
} from './slack/fake-slack.ts';
export {
  type BlockActionsOptions,
  blockActionsPayload,
  interactionFormBody,
  type SlackPayloadContext,
  type SlashCommandOptions,
  slashCommandBody,
  slashCommandPayload,
} from './slack/payloads.ts';
export { type SlackSignatureHeaders, signSlackRequest } from './slack/signing.ts';
export type { SocketAck, SocketEnvelopeType, SocketModeHub, SocketSendOptions } from './slack/socket-mode.ts';
export type { SlackChannel, SlackEphemeral, SlackMessage, SlackUser } from './slack/workspace.ts';
export {
  type FakeTelegram,
  type FakeTelegramOptions,
  startFakeTelegram,
  type TelegramFault,
  type TelegramMatcher,
  type TelegramRequest,
} from './telegram/fake-telegram.ts';
export { autoEntities, EntityParseError, parseHtml, type TgEntity } from './telegram/html.ts';
export { MAX_TEXT as TELEGRAM_MAX_TEXT } from './telegram/methods.ts';
export type { ChatSpec, InlineButton, TgChat, TgMessage, TgUpdate, TgUser } from './telegram/world.ts';
