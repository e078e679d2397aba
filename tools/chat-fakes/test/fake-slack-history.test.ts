import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeSlack, type SlackChannel, startFakeSlack } from '../src/index.ts';

let fake: FakeSlack;
let alerts: SlackChannel;
let slack: WebClient;
let now: number;

beforeEach(async () => {
  now = Date.parse('2026-11-21T12:00:00Z');
  fake = await startFakeSlack({ token: 'xoxb-fake', clock: () => now });
  alerts = fake.addChannel({ name: 'alerts' });
  slack = new WebClient('xoxb-fake', {
    slackApiUrl: fake.url,
    logLevel: LogLevel.ERROR,
    timeout: 300,
    retryConfig: { retries: 0 },
  });
});

afterEach(async () => {
  await fake.close();
});

const meta = (id: string) => ({ event_type: 'tocsin_notification', event_payload: { attempt_id: id } });

describe('conversations.history', () => {
  it('lists top-level messages newest first, with metadata only when include_all_metadata is set', async () => {
    const a = await slack.chat.postMessage({ channel: alerts.id, text: 'a', metadata: meta('a') });
    now += 1000;
    await slack.chat.postMessage({
      channel: alerts.id,
      text: 'reply',
      thread_ts: a.ts!,
      metadata: meta('r'),
    });
    now += 1000;
    await slack.chat.postMessage({ channel: alerts.id, text: 'b', metadata: meta('b') });

    const plain = await slack.conversations.history({ channel: alerts.id });
    expect(plain.messages?.map((m) => m.text)).toEqual(['b', 'a']);
    expect(plain.messages?.some((m) => 'metadata' in m)).toBe(false);

    const full = await slack.conversations.history({ channel: alerts.id, include_all_metadata: true });
    expect(full.messages?.map((m) => m.metadata?.event_payload)).toEqual([
      { attempt_id: 'b' },
      { attempt_id: 'a' },
    ]);

    const replies = await slack.conversations.replies({
      channel: alerts.id,
      ts: a.ts!,
      include_all_metadata: true,
    });
    expect(replies.messages?.map((m) => [m.text, m.metadata?.event_payload])).toEqual([
      ['a', { attempt_id: 'a' }],
      ['reply', { attempt_id: 'r' }],
    ]);
  });

  it('bounds the window by oldest/latest and pages with a cursor', async () => {
    const posted: string[] = [];
    for (let i = 0; i < 5; i++) {
      posted.push((await slack.chat.postMessage({ channel: alerts.id, text: `m${i}` })).ts!);
      now += 1000;
    }
    const window = await slack.conversations.history({
      channel: alerts.id,
      oldest: posted[1],
      latest: posted[4],
    });
    expect(window.messages?.map((m) => m.text)).toEqual(['m3', 'm2']);

    const first = await slack.conversations.history({ channel: alerts.id, limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['m4', 'm3']);
    expect(first.has_more).toBe(true);
    const second = await slack.conversations.history({
      channel: alerts.id,
      limit: 2,
      cursor: first.response_metadata!.next_cursor!,
    });
    expect(second.messages?.map((m) => m.text)).toEqual(['m2', 'm1']);
    const third = await slack.conversations.history({
      channel: alerts.id,
      limit: 2,
      cursor: second.response_metadata!.next_cursor!,
    });
    expect(third.messages?.map((m) => m.text)).toEqual(['m0']);
    expect(third.response_metadata?.next_cursor).toBe('');
  });

  it('answers channel_not_found and not_in_channel like the other channel methods', async () => {
    const outside = fake.addChannel({ name: 'elsewhere', isMember: false });
    await expect(slack.conversations.history({ channel: 'C0NOPE' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(slack.conversations.history({ channel: outside.id })).rejects.toMatchObject({
      data: { error: 'not_in_channel' },
    });
  });
});

describe('faults by thread', () => {
  it('fails only the replies in one thread', async () => {
    const one = await slack.chat.postMessage({ channel: alerts.id, text: 'one' });
    const two = await slack.chat.postMessage({ channel: alerts.id, text: 'two' });
    fake.failAlways({ method: 'chat.postMessage', threadTs: two.ts! }, { error: 'is_archived' });
    await slack.chat.postMessage({ channel: alerts.id, text: 'reply one', thread_ts: one.ts! });
    await expect(
      slack.chat.postMessage({ channel: alerts.id, text: 'reply two', thread_ts: two.ts! }),
    ).rejects.toMatchObject({ data: { error: 'is_archived' } });
    expect(fake.thread(alerts.id, one.ts!).map((m) => m.text)).toEqual(['reply one']);
    expect(fake.thread(alerts.id, two.ts!)).toEqual([]);
  });
});

describe('delay fault', () => {
  it('a slow call takes effect when it is answered, after the calls that overtook it', async () => {
    fake.failNext({ method: 'chat.postMessage' }, { delayMs: 200 });
    const slow = slack.chat.postMessage({ channel: alerts.id, text: 'slow' });
    await slack.chat.postMessage({ channel: alerts.id, text: 'fast' });
    await slow;
    expect(fake.messages(alerts.id).map((m) => m.text)).toEqual(['fast', 'slow']);
  });
});

describe('hang fault', () => {
  it('the call takes effect but never answers: the client times out, the message is there', async () => {
    fake.failNext({ method: 'chat.postMessage' }, { hang: true });
    await expect(slack.chat.postMessage({ channel: alerts.id, text: 'sent, unheard' })).rejects.toMatchObject(
      {
        code: 'slack_webapi_request_error',
      },
    );
    expect(fake.messages(alerts.id).map((m) => m.text)).toEqual(['sent, unheard']);
    const [call] = fake.requests({ method: 'chat.postMessage' });
    expect(call?.faulted).toBe(true);
  });
});
