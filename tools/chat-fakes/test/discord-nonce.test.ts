import type { Client, Message, TextChannel } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../src/index.ts';
import { connectedClient } from './discord-client.ts';

let fake: FakeDiscord;
let channelId: string;
let client: Client;
let now: number;

beforeEach(async () => {
  now = Date.parse('2026-11-21T12:00:00Z');
  fake = await startFakeDiscord({ clock: () => now });
  channelId = fake.addGuild({ channels: [{ name: 'alerts' }] }).channels[0]!.id;
  client = await connectedClient(fake);
});

afterEach(async () => {
  await client.destroy();
  await fake.close();
});

function send(content: string, nonce: string, enforceNonce: boolean): Promise<Message> {
  return (client.channels.cache.get(channelId) as TextChannel).send({ content, nonce, enforceNonce });
}

const postMessage = { method: 'POST', path: '/channels/:id/messages' };

describe('enforce_nonce', () => {
  it('returns the earlier message for a repeated nonce instead of creating another', async () => {
    const first = await send('validator down', 'attempt-1', true);
    const again = await send('validator down', 'attempt-1', true);

    expect(again.id).toBe(first.id);
    expect(fake.messages(channelId)).toHaveLength(1);
    expect(
      fake.requests(postMessage).map((r) => (r.body as { enforce_nonce?: boolean }).enforce_nonce),
    ).toEqual([true, true]);
    // Discord echoes the nonce in the create response, not in stored messages.
    expect(fake.messages(channelId)[0]).not.toHaveProperty('nonce');
  });

  it('creates a new message without enforce_nonce, for another nonce, or after the window', async () => {
    await send('a', 'n-1', true);
    await send('b', 'n-1', false);
    await send('c', 'n-2', true);
    now += 6 * 60_000;
    await send('d', 'n-1', true);
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('hang fault', () => {
  it('creates the message but holds the answer until the fake closes', async () => {
    fake.failNext(postMessage, { hang: true });
    let answered = false;
    const pending = send('posted, but the client never hears', 'n-hang', true).then(
      () => (answered = true),
      () => (answered = true),
    );
    const request = await fake.waitForRequest(postMessage);

    expect(request).toMatchObject({ faulted: true, held: true, status: 200 });
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(['posted, but the client never hears']);
    expect(answered).toBe(false);

    // A restarted client resending with the same nonce gets the same message back.
    const restarted = await connectedClient(fake);
    try {
      const channel = restarted.channels.cache.get(channelId) as TextChannel;
      const resent = await channel.send({
        content: 'posted, but the client never hears',
        nonce: 'n-hang',
        enforceNonce: true,
      });
      expect(resent.id).toBe(fake.messages(channelId)[0]!.id);
      expect(fake.messages(channelId)).toHaveLength(1);
    } finally {
      await restarted.destroy();
    }
    await client.destroy();
    await fake.close();
    await pending;
    expect(answered).toBe(true);
  });
});
