import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { blockActionsPayload, slashCommandPayload, startFakeSlack } from '@tocsin/chat-fakes';
import { startService } from '@tocsin/runtime';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultState, sampleAlert, serveDomainRpc } from '../../../packages/commands/test/domainsRpc.ts';
import { ACTION, slackNotifier } from '../src/index.ts';
import { CHANNELS, firing, type Harness, secretFiles, slackSection, startHarness, TOKEN } from './harness.ts';
import { liveMentions } from './liveMentions.ts';

// Issue #9: Slack without a public URL. The notifier opens Slack's Socket Mode websocket itself (the official
// @slack/socket-mode client, against the fake's apps.connections.open and websocket); commands and buttons reach
// the same handlers as over HTTP.
let h: Harness;
const state = defaultState();
let rpc: ReturnType<typeof serveDomainRpc>;
const appTokenFile = join(tmpdir(), `tocsin-slack-app-token-${process.pid}-${Date.now()}`);

beforeAll(async () => {
  writeFileSync(appTokenFile, 'xapp-1-A0FAKE-0000-test\n', { mode: 0o600 });
  // No signing secret: nothing is served over HTTP, everything comes over the websocket.
  h = await startHarness(
    'slack-socket',
    {},
    {
      socket_mode: true,
      app_token_file: appTokenFile,
      signing_secret_file: undefined,
    },
  );
  rpc = serveDomainRpc(h.nc, h.env.subjects, state);
  await h.fake.socketMode.waitForConnection();
});
afterAll(async () => {
  rpc?.stop();
  await h?.close();
  rmSync(appTokenFile, { force: true });
});

describe('Slack Socket Mode', () => {
  it('connected with the app-level token; the HTTP endpoints are not there', async () => {
    const open = h.fake.requests({ method: 'apps.connections.open' });
    expect(open.length).toBeGreaterThan(0);
    expect(open[0]!.token).toBe('xapp-1-A0FAKE-0000-test');
    expect((await h.post('/slack/commands', 'text=help')).status).toBe(404);
  });

  it('a slash command is answered in its acknowledgement, as the Slack user, with the same effect as over HTTP', async () => {
    const ack = await h.fake.socketMode.send(
      'slash_commands',
      slashCommandPayload({
        command: '/tocsin',
        text: 'silence 2h chain_id=<!channel>',
        user: { id: 'U0DAVE' },
        channel: { id: CHANNELS.alerts },
      }),
    );
    expect(JSON.stringify(ack.payload)).toContain('Silenced');
    expect(JSON.stringify(ack.payload)).toContain('/tocsin unsilence');
    expect(liveMentions(ack.payload)).toEqual([]);
    expect(rpc.bodies('alerter.silence')).toEqual([
      expect.objectContaining({
        by: 'slack:U0DAVE',
        matchers: [{ name: 'chain_id', op: '=', value: '<!channel>' }],
        duration_s: 7200,
      }),
    ]);
  });

  it('a button click acknowledges the alert and edits its message, as over HTTP', async () => {
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
    const button = actions.elements!.find((b) => b.action_id === ACTION.ack)!;
    const payload = blockActionsPayload({
      actionId: ACTION.ack,
      value: button.value,
      user: { id: 'U0ALICE' },
      channel: { id: CHANNELS.alerts },
      message: { ts: msg!.ts },
    });
    const ack = await h.fake.socketMode.send('interactive', payload, { envelopeId: 'env-click-1' });
    expect(ack.envelope_id).toBe('env-click-1');
    await eventually(() => rpc.bodies('alerter.ack').length === 1, 15_000, 'the ack rpc');
    expect(rpc.bodies('alerter.ack')[0]).toMatchObject({ by: 'slack:U0ALICE', episode_id: alert.episode_id });
    await eventually(
      () =>
        h.fake
          .requests({ method: 'chat.update' })
          .some((r) => r.args.ts === msg!.ts && JSON.stringify(r.args.blocks).includes('<@U0ALICE>')),
      15_000,
      'the message edited to show who acknowledged',
    );

    // Slack sends an envelope again when it thinks the acknowledgement was lost: acknowledged, not acted on.
    const again = await h.fake.socketMode.send('interactive', payload, {
      envelopeId: 'env-click-1',
      retryAttempt: 1,
    });
    expect(again.envelope_id).toBe('env-click-1');
    const marker = await h.fake.socketMode.send(
      'slash_commands',
      slashCommandPayload({
        command: '/tocsin',
        text: 'help',
        user: { id: 'U0ALICE' },
        channel: { id: CHANNELS.alerts },
      }),
    );
    expect(JSON.stringify(marker.payload)).toContain('/tocsin ack');
    expect(rpc.bodies('alerter.ack')).toHaveLength(1);
  });

  it('a payload that is not a slash command gets a clear answer, and the connection goes on', async () => {
    const ack = await h.fake.socketMode.send('slash_commands', { nonsense: true });
    expect(ack.payload).toEqual({
      response_type: 'ephemeral',
      text: 'That did not look like a slash command.',
    });
    const ok = await h.fake.socketMode.send('interactive', {
      type: 'view_submission',
      user: { id: 'U0ALICE' },
    });
    expect(ok.envelope_id).toBeTruthy();
    expect(h.fake.socketMode.connections()).toBe(1);
  });
});

describe('Slack Socket Mode start-up', () => {
  it('an app token Slack rejects, or a bot token in its place: the service stops naming the file, not the token', async () => {
    const fake = await startFakeSlack({ token: TOKEN, appToken: 'xapp-1-the-right-one' });
    const files = secretFiles();
    const wrong = join(files.dir, 'app-token');
    const start = () =>
      startService(slackNotifier(), {
        env: h.env.env,
        argv: [],
        logDest: new Writable({ write: (_chunk, _enc, done) => done() }),
        config: {
          ...h.env.config,
          slack: { ...slackSection(fake, files), socket_mode: true, app_token_file: wrong, timeout: '5s' },
        },
      });
    try {
      writeFileSync(wrong, 'xapp-1-not-the-right-one', { mode: 0o600 });
      const rejected = await start().then(
        () => null,
        (err: unknown) => String(err),
      );
      expect(rejected).toContain(`Slack rejected the app token in ${wrong}: invalid_auth`);
      expect(rejected).not.toContain('xapp-1-not-the-right-one');
      writeFileSync(wrong, 'xoxb-a-bot-token', { mode: 0o600 });
      const bot = await start().then(
        () => null,
        (err: unknown) => String(err),
      );
      expect(bot).toContain(`${wrong} does not hold an app-level token (xapp-…)`);
      expect(bot).not.toContain('xoxb-a-bot-token');
    } finally {
      await fake.close();
      rmSync(files.dir, { recursive: true, force: true });
    }
  });
});
