import type { DiscordMessage, InteractionResponse, UserSpec } from '@tocsin/chat-fakes';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type DomainState,
  defaultState,
  sampleAlert,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { alertOf, notificationOf } from './fixtures.ts';
import { ALICE, BOB, delivered, type Harness, messagesShowing, startHarness } from './harness.ts';

// The Acknowledge and Silence buttons on alert messages, clicked in the fake Discord, against a stand-in alerter.

const textOf = (embeds: unknown) => JSON.stringify(embeds);

let env: TestEnv;
let h: Harness;
let state: DomainState;
let rpc: ReturnType<typeof serveDomainRpc>;

beforeAll(async () => {
  env = await testEnv('discord-buttons');
  h = await startHarness(env);
  state = defaultState();
  rpc = serveDomainRpc(h.nc, env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  Object.assign(state, defaultState());
  rpc.calls.length = 0;
});

describe('alert buttons', () => {
  async function click(
    message: DiscordMessage,
    customId: string,
    user: UserSpec = ALICE,
  ): Promise<InteractionResponse> {
    return h.fake.dispatchInteraction({
      type: 'button',
      channelId: h.channels.alerts,
      user,
      messageId: message.id,
      customId,
    }).response;
  }

  it('Acknowledge calls the alerter as the clicker and shows who acknowledged', async () => {
    const a = alertOf({ episode_id: state.alerts[0]!.episode_id, summary: `ack me ${Math.random()}` });
    const n = notificationOf({}, [a]);
    await h.publish(n);
    const [m] = await messagesShowing(h, h.channels.alerts, a.summary);
    await delivered(h, n.key);
    expect((await click(m!, `ack:${a.episode_id}`)).type).toBe(6);
    await eventually(() => rpc.bodies('alerter.ack').length > 0);
    expect(rpc.bodies('alerter.ack')).toEqual([
      { by: `discord:${ALICE.id}`, is_admin: false, episode_id: a.episode_id },
    ]);
    const updated = await eventually(() => {
      const now = h.fake.messages(h.channels.alerts).find((x) => x.id === m!.id)!;
      return textOf(now.embeds).includes(`<@${ALICE.id}>`) ? now : null;
    });
    expect(textOf(updated!.embeds)).toContain('"name":"Acknowledged"');
    expect(updated!.components).toMatchObject([
      { components: [{ label: 'Acknowledged', disabled: true }, {}, {}] },
    ]);
  });

  it('Silence 1 h silences exactly the alert’s labels and marks the message', async () => {
    const a = alertOf({ summary: `silence me ${Math.random()}` });
    const n = notificationOf({}, [a]);
    await h.publish(n);
    const [m] = await messagesShowing(h, h.channels.alerts, a.summary);
    await delivered(h, n.key);
    await click(m!, `sil:1h:${a.episode_id}`, BOB);
    await eventually(() => rpc.bodies('alerter.silence').length > 0);
    expect(rpc.bodies('alerter.silence')[0]).toEqual({
      by: `discord:${BOB.id}`,
      is_admin: false,
      matchers: Object.entries(a.labels).map(([name, value]) => ({ name, op: '=', value })),
      duration_s: 3600,
      reason: 'from Discord by bob',
    });
    await eventually(() =>
      textOf(h.fake.messages(h.channels.alerts).find((x) => x.id === m!.id)!.embeds).includes('🔕 until'),
    );
    const confirm = await eventually(() =>
      h.fake.messages(h.channels.alerts).find((x) => x.content?.startsWith('🔕 Silenced for 1 h')),
    );
    expect(confirm!.flags & 64).toBe(64);
  });

  it('Acknowledge all on a grouped message acks each open alert; a failure is told to the clicker', async () => {
    const alerts = [
      sampleAlert({ episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8TA1' }),
      sampleAlert({ episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8TA2' }),
    ];
    state.alerts.push(alerts[0]!);
    const group = notificationOf({}, [
      alertOf({ episode_id: alerts[0]!.episode_id, summary: 'group one' }),
      alertOf({ episode_id: alerts[1]!.episode_id, summary: 'group two' }),
    ]);
    await h.publish(group);
    const [m] = await messagesShowing(h, h.channels.alerts, 'group two');
    await delivered(h, group.key);
    await click(m!, 'ack:*');
    await eventually(() => rpc.bodies('alerter.ack').length === 2);
    const told = await eventually(() =>
      h.fake
        .messages(h.channels.alerts)
        .find((x) => x.content === 'Not acknowledged: That alert is no longer open.'),
    );
    expect(told).toBeDefined();
    await eventually(() =>
      textOf(h.fake.messages(h.channels.alerts).find((x) => x.id === m!.id)!.embeds).includes(
        `acked by <@${ALICE.id}>`,
      ),
    );
  });
});
