import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { type DiscordMessage, type FakeDiscord, type FakeGuild, startFakeDiscord } from '@tocsin/chat-fakes';
import type { Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { eventually, type TestEnv } from '@tocsin/testkit';
import { type DiscordConfig, discordNotifier } from '../src/index.ts';

export const TOKEN = 'fake-bot-token-0123456789';
export const ALICE = { id: '200000000000000001', username: 'alice' };
export const BOB = { id: '200000000000000002', username: 'bob' };
export const ROOT = { id: '200000000000000003', username: 'root' };

/** A secret file as an operator would write it (mode 600). */
export function secretFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-discord-'));
  const path = join(dir, 'secret');
  writeFileSync(path, `${content}\n`);
  chmodSync(path, 0o600);
  return path;
}

export interface Harness {
  fake: FakeDiscord;
  guild: FakeGuild;
  channels: { alerts: string; ops: string; test: string };
  roles: { admin: string; oncall: string };
  running: RunningService<DiscordConfig>;
  nc: NatsConnection;
  publisher: Publisher;
  /** Every log line of the service, parsed. */
  logs: Record<string, unknown>[];
  publish(n: Notification): Promise<void>;
  /** Messages in a channel whose embeds mention `text` (title, fields or footer). */
  messagesWith(channel: string, text: string): DiscordMessage[];
  stop(): Promise<void>;
  /** Stops the notifier only (the fake Discord stays up). */
  stopService(): Promise<void>;
}

/** A fake Discord with one guild (alerts, ops and test channels; admin and oncall roles) and the notifier on it. */
export async function startHarness(
  env: TestEnv,
  discord:
    | Record<string, unknown>
    | ((where: { channels: Harness['channels']; roles: Harness['roles'] }) => Record<string, unknown>) = {},
  opts: {
    webhook?: boolean /** Another notifier on the same fake and guild (a restart). */;
    after?: Harness;
  } = {},
): Promise<Harness> {
  const fake = opts.after?.fake ?? (await startFakeDiscord({ token: TOKEN }));
  const guild =
    opts.after?.guild ??
    fake.addGuild({
      name: 'validators',
      channels: [{ name: 'alerts' }, { name: 'ops' }, { name: 'test' }],
      roles: [{ name: 'admin' }, { name: 'oncall' }],
    });
  const channels = { alerts: guild.channels[0]!.id, ops: guild.channels[1]!.id, test: guild.channels[2]!.id };
  const roles = { admin: guild.roles[0]!.id, oncall: guild.roles[1]!.id };
  const logs: Record<string, unknown>[] = [];
  const logDest = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  const credentials = opts.webhook
    ? { webhook_url_file: secretFile(fake.createWebhook({ channelId: channels.alerts }).url) }
    : { token_file: secretFile(TOKEN), guild_id: guild.id };
  const running = await startService(discordNotifier, {
    argv: [],
    env: { ...env.env, TOCSIN_HTTP_PORT: '0' },
    logDest,
    config: {
      ...env.config,
      log: { level: 'info' },
      discord: {
        ...credentials,
        api_url: fake.url,
        default_channel: channels.alerts,
        admin_roles: [roles.admin],
        rate: { burst: 50, per: '1s' },
        rest_retries: 1,
        ack_wait: '3s',
        ...(typeof discord === 'function' ? discord({ channels, roles }) : discord),
      },
    },
  });
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
  return {
    fake,
    guild,
    channels,
    roles,
    running,
    nc,
    publisher,
    logs,
    async publish(n) {
      await publisher.publishNotification(n);
    },
    messagesWith(channel, text) {
      return fake.messages(channel).filter((m) => JSON.stringify(m.embeds).includes(text));
    },
    async stop() {
      await running.stop();
      await fake.close();
    },
    async stopService() {
      await running.stop();
    },
  };
}

/** Waits for `count` messages in a channel showing `text`, and returns them. */
export function messagesShowing(
  h: Harness,
  channel: string,
  text: string,
  count = 1,
): Promise<DiscordMessage[]> {
  return eventually(
    () => {
      const found = h.messagesWith(channel, text);
      return found.length >= count ? found : null;
    },
    15_000,
    `${count} message(s) showing "${text}"`,
  ) as Promise<DiscordMessage[]>;
}

/**
 * Waits until the notifier recorded the notification as delivered to every channel it went to. A message shows
 * up in the fake before the notifier has stored its card and recorded the delivery: a button clicked in between
 * finds no card.
 */
export async function delivered(h: Harness, key: string): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await h.running.ctx.pool.query<{ state: string }>(
        `SELECT state FROM notify_deliveries WHERE notifier = 'discord' AND notification_key = $1`,
        [key],
      );
      return rows.length > 0 && rows.every((r) => r.state === 'sent');
    },
    15_000,
    `notification ${key} recorded as delivered`,
  );
}

/** Waits until the notifier has handled and acked everything published so far. */
export async function drained(h: Harness): Promise<void> {
  const jsm = await jetstreamManager(h.nc);
  const stream = h.running.ctx.subjects.streams.alerts;
  await eventually(
    async () => {
      const info = await jsm.consumers.info(stream, 'notifier-discord');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    15_000,
    'the notifier to ack every notification',
  );
}
