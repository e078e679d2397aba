import { once } from 'node:events';
import {
  type Client,
  DiscordAPIError,
  HTTPError,
  type RateLimitData,
  RESTEvents,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../src/index.ts';
import { connectedClient } from './discord-client.ts';

let fake: FakeDiscord;
let channelId: string;
let otherChannelId: string;
let client: Client;

beforeEach(async () => {
  fake = await startFakeDiscord();
  const guild = fake.addGuild({ channels: [{ name: 'alerts' }, { name: 'ops' }] });
  channelId = guild.channels[0]!.id;
  otherChannelId = guild.channels[1]!.id;
  client = await connectedClient(fake);
});

afterEach(async () => {
  await client.destroy();
  await fake.close();
});

const postMessage = { method: 'POST', path: '/channels/:id/messages' };

function send(id: string, content: string) {
  return (client.channels.cache.get(id) as TextChannel).send(content);
}

function statuses() {
  return fake.requests(postMessage).map((r) => r.status);
}

describe('429 rate limits', () => {
  it('retries a route 429 after Retry-After and succeeds', async () => {
    fake.failNext(postMessage, { status: 429, retryAfterS: 0.05 });
    const rateLimited = once(client.rest, RESTEvents.RateLimited) as Promise<[RateLimitData]>;

    const sent = await send(channelId, 'validator down');

    expect(statuses()).toEqual([429, 200]);
    expect(fake.messages(channelId).map((m) => m.id)).toEqual([sent.id]);
    const [limit] = await rateLimited;
    expect(limit).toMatchObject({ global: false, route: '/channels/:id/messages' });
    const [limitedResponse] = fake.requests(postMessage);
    expect(limitedResponse?.faulted).toBe(true);
  });

  it('honours a global 429 (X-RateLimit-Global) before retrying', async () => {
    fake.failNext(postMessage, { status: 429, retryAfterS: 0.05, global: true });
    const rateLimited = once(client.rest, RESTEvents.RateLimited) as Promise<[RateLimitData]>;

    await send(channelId, 'validator down');

    expect(statuses()).toEqual([429, 200]);
    const [limit] = await rateLimited;
    expect(limit.global).toBe(true);
  });
});

describe('5xx', () => {
  it('retries a 500 (immediately, up to rest.retries) and succeeds', async () => {
    fake.failNext(postMessage, { status: 500 });

    await send(channelId, 'validator down');

    expect(statuses()).toEqual([500, 200]);
    expect(fake.messages(channelId)).toHaveLength(1);
  });

  it('gives up with HTTPError after 1 + rest.retries (3) attempts', async () => {
    fake.failNext(postMessage, { status: 503, times: 10 });

    const error = await send(channelId, 'validator down').catch((e) => e);

    expect(error).toBeInstanceOf(HTTPError);
    expect(error.status).toBe(503);
    expect(statuses()).toEqual([503, 503, 503, 503]);
    expect(fake.messages(channelId)).toHaveLength(0);
  });
});

describe('permanent errors', () => {
  it('surfaces 403 Missing Permissions as DiscordAPIError 50013 without retrying', async () => {
    fake.failNext(postMessage, { status: 403, code: 50013, message: 'Missing Permissions' });

    const error = await send(channelId, 'validator down').catch((e) => e);

    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ status: 403, code: 50013, message: 'Missing Permissions' });
    expect(statuses()).toEqual([403]);
  });

  it('fails every request for one channel while others keep working', async () => {
    fake.failAlways({ channelId }, { status: 404, code: 10003, message: 'Unknown Channel' });

    const first = await send(channelId, 'one').catch((e) => e);
    const second = await send(channelId, 'two').catch((e) => e);
    const elsewhere = await send(otherChannelId, 'three');

    expect([first.code, second.code]).toEqual([10003, 10003]);
    expect(fake.messages(otherChannelId).map((m) => m.id)).toEqual([elsewhere.id]);
  });

  it('withdraws a fault when its handle is cleared', async () => {
    const fault = fake.failAlways(
      { channelId },
      { status: 403, code: 50013, message: 'Missing Permissions' },
    );
    await expect(send(channelId, 'blocked')).rejects.toMatchObject({ code: 50013 });

    fault.clear();

    await send(channelId, 'allowed');
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(['allowed']);
  });
});
