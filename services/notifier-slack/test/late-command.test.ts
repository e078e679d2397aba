import { slashCommandBody } from '@tocsin/chat-fakes';
import { CommandRegistry } from '@tocsin/commands';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SlashResponse } from '../src/index.ts';
import { CHANNELS, type Harness, startHarness } from './harness.ts';

let h: Harness;
let open!: () => void;
const gate = new Promise<void>((resolve) => {
  open = resolve;
});

beforeAll(async () => {
  const commands = () =>
    new CommandRegistry('/tocsin ').register({
      name: 'slow',
      summary: 'Answers when the test lets it',
      args: [],
      run: async () => {
        await gate;
        return { title: 'Clients', text: 'all **fine**' };
      },
    });
  h = await startHarness('slack-late-command', { commands, commandDeadlineMs: 50 });
});
afterAll(async () => h.close());

it('a command slower than Slack waits answers "working on it", then posts the answer to response_url', async () => {
  const responseUrl = h.fake.responseUrl();
  const body = slashCommandBody({
    command: '/tocsin',
    text: 'slow',
    user: { id: 'U0ALICE' },
    channel: { id: CHANNELS.alerts },
    responseUrl,
  });
  const res = await h.post('/slack/commands', body);
  expect(await res.json()).toEqual({ response_type: 'ephemeral', text: 'Working on it…' });
  expect(h.fake.responseUrlPosts(responseUrl)).toHaveLength(0);
  open();
  await eventually(() => h.fake.responseUrlPosts(responseUrl).length === 1, 15_000, 'the late answer');
  const late = h.fake.responseUrlPosts(responseUrl)[0];
  const answer = late!.body as SlashResponse;
  expect(answer.response_type).toBe('in_channel');
  expect(answer.blocks).toEqual([
    { type: 'header', text: { type: 'plain_text', text: 'Clients', emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: 'all *fine*', verbatim: true } },
  ]);
});
