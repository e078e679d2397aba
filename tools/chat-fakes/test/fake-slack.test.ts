import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, type SlackChannel, startFakeSlack } from '../src/index.ts';

let fake: FakeSlack;
let alerts: SlackChannel;
let slack: WebClient;

// Fast retries so 429/500 paths run in milliseconds.
const retryConfig = { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 };

beforeEach(async () => {
  fake = await startFakeSlack({ token: 'xoxb-fake' });
  alerts = fake.addChannel({ name: 'alerts' });
  slack = new WebClient('xoxb-fake', { slackApiUrl: fake.url, retryConfig, logLevel: LogLevel.ERROR });
});

afterEach(async () => {
  await fake.close();
});

const alertBlocks = [
  { type: 'header', text: { type: 'plain_text', text: 'Validator missed 50 blocks' } },
  {
    type: 'actions',
    block_id: 'alert-42',
    elements: [{ type: 'button', action_id: 'ack', value: '42', text: { type: 'plain_text', text: 'Ack' } }],
  },
];

describe('messages', () => {
  it('posts with blocks, sent form-encoded as a JSON string and stored decoded', async () => {
    const result = await slack.chat.postMessage({
      channel: alerts.id,
      text: 'Validator missed 50 blocks',
      blocks: alertBlocks,
    });

    expect(result).toMatchObject({
      ok: true,
      channel: alerts.id,
      message: { text: 'Validator missed 50 blocks' },
    });
    const [call] = fake.requests({ method: 'chat.postMessage' });
    expect(call?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(call?.token).toBe('xoxb-fake');
    expect(call?.args.blocks).toEqual(alertBlocks);
    expect(fake.messages(alerts.id)).toMatchObject([
      { ts: result.ts, blocks: alertBlocks, user: fake.botUserId },
    ]);
  });

  it('accepts JSON bodies as well, as the real API does for callers not using the SDK', async () => {
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-fake', 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: alerts.id, text: 'Validator down', blocks: alertBlocks }),
    });

    expect(await res.json()).toMatchObject({ ok: true, channel: alerts.id });
    expect(fake.messages(alerts.id)[0]?.blocks).toEqual(alertBlocks);
  });

  it('threads replies under an alert and counts them on the parent', async () => {
    const parent = await slack.chat.postMessage({ channel: alerts.id, text: 'Validator down' });
    const reply = await slack.chat.postMessage({
      channel: alerts.id,
      text: 'still down',
      thread_ts: parent.ts!,
    });

    expect(reply.message?.thread_ts).toBe(parent.ts);
    expect(fake.thread(alerts.id, parent.ts!).map((m) => m.text)).toEqual(['still down']);
    expect(fake.messages(alerts.id)[0]).toMatchObject({
      ts: parent.ts,
      reply_count: 1,
      latest_reply: reply.ts,
    });
    const replies = await slack.conversations.replies({ channel: alerts.id, ts: parent.ts! });
    expect(replies.messages?.map((m) => m.text)).toEqual(['Validator down', 'still down']);
  });

  it('updates a message in place on resolve', async () => {
    const posted = await slack.chat.postMessage({
      channel: alerts.id,
      text: 'Validator down',
      blocks: alertBlocks,
    });

    const updated = await slack.chat.update({
      channel: alerts.id,
      ts: posted.ts!,
      text: 'Resolved',
      blocks: [],
    });

    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'Resolved' });
    expect(fake.messages(alerts.id)).toMatchObject([{ ts: posted.ts, text: 'Resolved', blocks: [] }]);
    expect(fake.messages(alerts.id)[0]?.edited?.user).toBe(fake.botUserId);
  });

  it('records ephemeral messages and answers info lookups', async () => {
    const alice = fake.addUser({ name: 'alice' });
    await slack.chat.postEphemeral({ channel: alerts.id, user: alice.id, text: 'only you can see this' });
    const info = await slack.conversations.info({ channel: alerts.id });
    const user = await slack.users.info({ user: alice.id });
    const auth = await slack.auth.test();

    expect(fake.ephemerals()).toMatchObject([
      { channel: alerts.id, user: alice.id, text: 'only you can see this' },
    ]);
    expect(info.channel).toMatchObject({ id: alerts.id, name: 'alerts', is_member: true });
    expect(user.user).toMatchObject({ id: alice.id, name: 'alice' });
    expect(auth).toMatchObject({ user_id: fake.botUserId, team_id: fake.teamId });
    expect(fake.unhandledRequests()).toEqual([]);
  });
});

describe('errors', () => {
  it('surfaces ok:false as a platform error with data.error, without retrying', async () => {
    const error = await slack.chat.postMessage({ channel: 'C0NOSUCH01', text: 'x' }).catch((e) => e);

    expect(error.code).toBe(ErrorCode.PlatformError);
    expect(error.data.error).toBe('channel_not_found');
    expect(fake.requests({ method: 'chat.postMessage' })).toHaveLength(1);
  });

  it('answers not_in_channel for a channel the bot has not joined', async () => {
    const elsewhere = fake.addChannel({ name: 'random', isMember: false });

    await expect(slack.chat.postMessage({ channel: elsewhere.id, text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_in_channel' },
    });
  });

  it('answers invalid_auth for a wrong token', async () => {
    const stranger = new WebClient('xoxb-wrong', { slackApiUrl: fake.url, retryConfig });

    await expect(stranger.auth.test()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
  });

  it('injects ok:false errors for one channel permanently', async () => {
    fake.failAlways({ channel: alerts.id }, { error: 'is_archived' });

    await expect(slack.chat.postMessage({ channel: alerts.id, text: 'a' })).rejects.toMatchObject({
      data: { error: 'is_archived' },
    });
    await expect(slack.chat.update({ channel: alerts.id, ts: '1.000001', text: 'b' })).rejects.toMatchObject({
      data: { error: 'is_archived' },
    });
  });

  it('retries a 429 after Retry-After and succeeds', async () => {
    // The SDK parses Retry-After as whole seconds; 0 keeps the test fast.
    fake.failNext({ method: 'chat.postMessage' }, { status: 429, retryAfterS: 0 });
    const rateLimited = new Promise((resolve) => slack.once(WebClientEvent.RATE_LIMITED, resolve));

    const result = await slack.chat.postMessage({ channel: alerts.id, text: 'Validator down' });

    expect(result.ok).toBe(true);
    expect(await rateLimited).toBe(0);
    expect(fake.requests({ method: 'chat.postMessage' }).map((r) => r.status)).toEqual([429, 200]);
    expect(fake.messages(alerts.id)).toHaveLength(1);
  });

  it('retries a 500 and succeeds', async () => {
    fake.failNext({ method: 'chat.postMessage' }, { status: 500 });

    await slack.chat.postMessage({ channel: alerts.id, text: 'Validator down' });

    expect(fake.requests({ method: 'chat.postMessage' }).map((r) => r.status)).toEqual([500, 200]);
  });

  it('gives up with an HTTP error after retries are exhausted', async () => {
    fake.failNext({ method: 'chat.postMessage' }, { status: 503, times: 10 });

    const error = await slack.chat
      .postMessage({ channel: alerts.id, text: 'Validator down' })
      .catch((e) => e);

    expect(error).toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    expect(fake.requests({ method: 'chat.postMessage' })).toHaveLength(1 + retryConfig.retries);
    expect(fake.messages(alerts.id)).toHaveLength(0);
  });
});

describe('response_url', () => {
  it('records what a service posts to a response_url it was handed', async () => {
    const url = fake.responseUrl();

    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ replace_original: true, text: 'acknowledged' }),
    });

    expect(res.status).toBe(200);
    expect(fake.responseUrlPosts(url)).toMatchObject([
      { body: { replace_original: true, text: 'acknowledged' } },
    ]);
  });
});
