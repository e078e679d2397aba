import { blockActionsPayload, interactionFormBody, slashCommandBody } from '@tocsin/chat-fakes';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultState, sampleAlert, serveDomainRpc } from '../../../packages/commands/test/domainsRpc.ts';
import { ACTION, replayGuard } from '../src/index.ts';
import { CHANNELS, firing, type Harness, startHarness } from './harness.ts';

// Issue #8, defect 9 (Slack part): a signed request replayed within the 5-minute window ran its side effect again.
let h: Harness;
const state = defaultState();
let rpc: ReturnType<typeof serveDomainRpc>;

beforeAll(async () => {
  h = await startHarness('slack-replay');
  rpc = serveDomainRpc(h.nc, h.env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.close();
});

describe('a replayed Slack request does nothing again', () => {
  it('a button click sent twice acknowledges once; the replay gets 409', async () => {
    const n = firing();
    const alert = n.alerts[0]!;
    state.alerts.push(sampleAlert({ episode_id: alert.episode_id, fingerprint: alert.fingerprint }));
    await h.publisher.publishNotification(n);
    const msg = await eventually(
      () =>
        h.fake
          .messages(CHANNELS.alerts)
          .find((m) => JSON.stringify(m.blocks ?? []).includes(alert.episode_id)),
      15_000,
      'the alert message',
    );
    const actions = (
      msg!.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === 'actions')!;
    const ack = actions.elements!.find((b) => b.action_id === ACTION.ack)!;
    const body = interactionFormBody(
      blockActionsPayload({
        actionId: ACTION.ack,
        value: ack.value,
        user: { id: 'U0ALICE' },
        channel: { id: CHANNELS.alerts },
        message: { ts: msg!.ts },
      }),
    );
    const headers = h.signed(body);
    expect((await h.post('/slack/interactions', body, headers)).status).toBe(200);
    await eventually(() => rpc.bodies('alerter.ack').length === 1, 15_000, 'the ack rpc');
    // The same signed request again, seconds later (well within Slack's 5 minutes).
    const replay = await h.post('/slack/interactions', body, headers);
    expect(replay.status).toBe(409);
    expect(await replay.json()).toEqual({ error: 'replayed request' });
    // A click the service does act on, sent after the replay: once it is done, the replay has had its chance.
    const other = interactionFormBody(
      blockActionsPayload({
        actionId: ACTION.ack,
        value: ack.value,
        user: { id: 'U0BOB' },
        channel: { id: CHANNELS.alerts },
        message: { ts: msg!.ts },
      }),
    );
    expect((await h.post('/slack/interactions', other)).status).toBe(200);
    await eventually(() => rpc.bodies('alerter.ack').length === 2, 15_000, 'the second ack rpc');
    expect(rpc.bodies('alerter.ack').map((b) => b.by)).toEqual(['slack:U0ALICE', 'slack:U0BOB']);
  });

  it('a slash command sent twice silences once; the replay gets 409', async () => {
    const body = slashCommandBody({
      command: '/tocsin',
      text: 'silence 1h chain_id=cosmoshub-4',
      user: { id: 'U0CAROL' },
      channel: { id: CHANNELS.alerts },
    });
    const headers = h.signed(body);
    const first = await h.post('/slack/commands', body, headers);
    expect(first.status).toBe(200);
    expect(JSON.stringify(await first.json())).toContain('Silenced');
    const replay = await h.post('/slack/commands', body, headers);
    expect(replay.status).toBe(409);
    // Re-signed at another time it is a new request (only Slack can sign one), and is served.
    const later = h.signed(body, h.clock.now() + 1000);
    expect((await h.post('/slack/commands', body, later)).status).toBe(200);
    expect(rpc.bodies('alerter.silence')).toHaveLength(2);
  });

  it('replicas share what they have seen (PostgreSQL)', async () => {
    const a = replayGuard(h.svc.ctx.pool);
    const b = replayGuard(h.svc.ctx.pool);
    const key = `test:${Date.now()}:${Math.random()}`;
    expect(await a.firstTime(key)).toBe(true);
    expect(await b.firstTime(key)).toBe(false);
    expect(await a.firstTime(key)).toBe(false);
  });
});
