import { RpcError, serveRpc } from '@tocsin/bus';
import { blockActionsPayload, interactionFormBody, slashCommandBody } from '@tocsin/chat-fakes';
import { type Alert, alerterRpc, type Notification } from '@tocsin/events';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ACTION, type SlashResponse } from '../src/index.ts';
import { CHANNELS, firing, type Harness, startHarness } from './harness.ts';

let h: Harness;
type AckRequest = z.output<typeof alerterRpc.ack.request>;
type SilenceRequest = z.output<typeof alerterRpc.silence.request>;
const acks: AckRequest[] = [];
const silences: SilenceRequest[] = [];
const alerts = new Map<string, Alert>();

beforeAll(async () => {
  h = await startHarness('slack-endpoints');
  // A stand-in alerter on the real bus that records what it is asked (the real one lives in services/alerter).
  serveRpc({
    nc: h.nc,
    subject: h.env.subjects.rpc('alerter', 'ack'),
    schema: alerterRpc.ack.request,
    handler: async (req) => {
      acks.push(req);
      const alert = [...alerts.values()].find((a) => a.episode_id === req.episode_id);
      if (!alert) throw new RpcError('not_found', `no open alert ${req.episode_id}`);
      return { alert: { ...alert, acknowledged: { by: req.by, at: new Date(h.clock.now()).toISOString() } } };
    },
  });
  serveRpc({
    nc: h.nc,
    subject: h.env.subjects.rpc('alerter', 'alerts'),
    schema: alerterRpc.alerts.request,
    handler: async () => ({ alerts: [...alerts.values()] }),
  });
  serveRpc({
    nc: h.nc,
    subject: h.env.subjects.rpc('alerter', 'silence'),
    schema: alerterRpc.silence.request,
    handler: async (req) => {
      silences.push(req);
      const now = h.clock.now();
      return {
        silence: {
          id: `s${silences.length}`,
          matchers: req.matchers,
          starts_at: new Date(now).toISOString(),
          ends_at: new Date(now + (req.duration_s ?? 0) * 1000).toISOString(),
          author: req.by,
          reason: req.reason,
          created_at: new Date(now).toISOString(),
        },
      };
    },
  });
});
afterAll(async () => h.close());

interface Posted {
  ts: string;
  n: Notification;
  buttons: { action_id: string; value: string }[];
}

/** Delivers a firing alert through the service and returns its Slack message and buttons. */
async function alertMessage(): Promise<Posted> {
  const n = firing();
  alerts.set(n.alerts[0]!.episode_id, n.alerts[0]!);
  await h.publisher.publishNotification(n);
  const msg = await eventually(
    () =>
      h.fake
        .messages(CHANNELS.alerts)
        .find((m) => JSON.stringify(m.blocks ?? []).includes(n.alerts[0]!.episode_id)),
    15_000,
    'the alert message',
  );
  // The message is in Slack before the notifier has stored its state (and recorded the delivery); a click that
  // arrives in between finds no state and edits nothing. Wait for the delivery record, written after the state.
  await eventually(
    async () => {
      const r = await h.svc.ctx.pool.query<{ state: string }>(
        `SELECT state FROM notify_deliveries WHERE notifier = 'slack' AND notification_key = $1 AND channel = $2`,
        [n.key, CHANNELS.alerts],
      );
      return r.rows[0]?.state === 'sent';
    },
    15_000,
    'the alert delivery recorded',
  );
  const actions = (msg!.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find(
    (b) => b.type === 'actions',
  );
  return { ts: msg!.ts, n, buttons: actions?.elements ?? [] };
}

function click(posted: Posted, actionId: string, user = 'U0ALICE'): string {
  const button = posted.buttons.find((b) => b.action_id === actionId)!;
  return interactionFormBody(
    blockActionsPayload({
      actionId,
      value: button.value,
      user: { id: user, username: user.toLowerCase() },
      channel: { id: CHANNELS.alerts },
      message: { ts: posted.ts },
    }),
  );
}

const updatesOf = (ts: string) => h.fake.requests({ method: 'chat.update' }).filter((r) => r.args.ts === ts);

describe('POST /slack/interactions', () => {
  it('bad signature, stale or future timestamp, tampered body, missing headers → 401, nothing acted on', async () => {
    const posted = await alertMessage();
    const body = click(posted, ACTION.ack);
    const before = acks.length;
    const now = h.clock.now();
    const cases: [string, Record<string, string>, string][] = [
      [
        'wrong secret',
        {
          'x-slack-signature': `v0=${'0'.repeat(64)}`,
          'x-slack-request-timestamp': String(Math.floor(now / 1000)),
        },
        body,
      ],
      ['stale', h.signed(body, now - 301_000), body],
      ['future', h.signed(body, now + 301_000), body],
      ['tampered', h.signed(body), `${body}0`],
      ['no headers', {}, body],
    ];
    for (const [what, headers, sent] of cases) {
      const res = await h.post('/slack/interactions', sent, headers);
      expect(res.status, what).toBe(401);
    }
    // A good request afterwards is served, so the bad ones were not merely queued.
    const ok = await h.post('/slack/interactions', body);
    expect(ok.status).toBe(200);
    await eventually(() => acks.length === before + 1, 15_000, 'the ack rpc');
    expect(acks.slice(before)).toHaveLength(1);
  });

  it('Acknowledge: calls alerter.ack as the Slack user and the message shows who acknowledged', async () => {
    const posted = await alertMessage();
    const episode = posted.n.alerts[0]!.episode_id;
    const res = await h.post('/slack/interactions', click(posted, ACTION.ack));
    expect(res.status).toBe(200);
    await eventually(() => acks.some((a) => a.episode_id === episode), 15_000, 'the ack rpc');
    expect(acks.find((a) => a.episode_id === episode)).toEqual({
      by: 'slack:U0ALICE',
      is_admin: false,
      episode_id: episode,
      fingerprint: posted.n.alerts[0]!.fingerprint,
    });
    await eventually(() => updatesOf(posted.ts).length === 1, 15_000, 'the message edit');
    const edited = h.fake.messages(CHANNELS.alerts).find((m) => m.ts === posted.ts)!;
    const text = JSON.stringify(edited.blocks);
    expect(text).toContain('*Acknowledged*\\n<@U0ALICE>');
    // Nothing left to acknowledge: the button is gone, the silences remain.
    expect(text).not.toContain(ACTION.ack);
    expect(text).toContain(ACTION.silence1h);
  });

  it('an admin acknowledges as admin', async () => {
    const posted = await alertMessage();
    await h.post('/slack/interactions', click(posted, ACTION.ack, 'U0ADMIN'));
    await eventually(() => acks.some((a) => a.by === 'slack:U0ADMIN' && a.is_admin), 15_000, 'the admin ack');
  });

  it('Silence 1h: calls alerter.silence with the alert matchers; the message shows the silence', async () => {
    const posted = await alertMessage();
    const a = posted.n.alerts[0]!;
    expect((await h.post('/slack/interactions', click(posted, ACTION.silence1h))).status).toBe(200);
    await eventually(() => silences.length === 1, 15_000, 'the silence rpc');
    expect(silences[0]).toEqual({
      by: 'slack:U0ALICE',
      is_admin: false,
      matchers: [
        { name: 'rule', op: '=', value: a.rule_id },
        { name: 'chain_id', op: '=', value: a.chain_id },
        { name: 'client_id', op: '=', value: a.labels.client_id },
      ],
      duration_s: 3600,
      reason: 'from Slack by u0alice',
    });
    await eventually(() => updatesOf(posted.ts).length === 1, 15_000, 'the message edit');
    const edited = h.fake.messages(CHANNELS.alerts).find((m) => m.ts === posted.ts)!;
    expect(JSON.stringify(edited.blocks)).toContain('🔕 Silenced by <@U0ALICE> until');
    expect(JSON.stringify(edited.blocks)).not.toContain('tocsin_silence');
  });

  it('the alerter refuses: the user is told privately, the message is left alone', async () => {
    const posted = await alertMessage();
    alerts.delete(posted.n.alerts[0]!.episode_id);
    await h.post('/slack/interactions', click(posted, ACTION.ack, 'U0BOB'));
    const ephemeral = await eventually(
      () => h.fake.ephemerals().find((e) => e.user === 'U0BOB'),
      15_000,
      'the ephemeral reply',
    );
    expect(ephemeral!.text).toBe(`Could not acknowledge: no open alert ${posted.n.alerts[0]!.episode_id}`);
    expect(updatesOf(posted.ts)).toHaveLength(0);
  });

  it('a body that is not an interaction, correctly signed, is a 400, not a crash', async () => {
    for (const body of ['payload=not-json', 'nothing=here', '']) {
      expect((await h.post('/slack/interactions', body)).status).toBe(400);
    }
    const other = interactionFormBody({ type: 'view_submission', user: { id: 'U0ALICE' } });
    expect((await h.post('/slack/interactions', other)).status).toBe(200);
  });
});

describe('POST /slack/commands', () => {
  const json = async (res: Response) => (await res.json()) as SlashResponse;
  const run = async (text: string, user = 'U0ALICE', headers?: Record<string, string>) => {
    const body = slashCommandBody({
      command: '/tocsin',
      text,
      user: { id: user },
      channel: { id: CHANNELS.alerts },
    });
    return h.post('/slack/commands', body, headers);
  };

  it('/tocsin help lists the commands; /tocsin help <command> explains one', async () => {
    const res = await run('help');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.response_type).toBe('ephemeral');
    const text = JSON.stringify(body.blocks);
    for (const c of ['data', 'wallets', 'register', 'deregister', 'alerts', 'ack', 'silence']) {
      expect(text).toContain(`/tocsin ${c}`);
    }
    const one = await json(await run('help register'));
    expect(JSON.stringify(one.blocks)).toContain('Usage: `/tocsin register &lt;wallet&gt;');
    expect(JSON.stringify(await json(await run('')))).toContain('/tocsin ack');
  });

  it('a good command runs as the Slack user: /tocsin ack <id>', async () => {
    const posted = await alertMessage();
    const episode = posted.n.alerts[0]!.episode_id;
    const res = await run(`ack ${episode} relayer restarted`, 'U0CAROL');
    const body = await json(res);
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Acknowledged', emoji: true },
    });
    expect(acks.find((a) => a.episode_id === episode && a.by === 'slack:U0CAROL')).toMatchObject({
      note: 'relayer restarted',
      is_admin: false,
    });
  });

  it('/tocsin alerts lists open alerts with their ids; /tocsin silence 2h chain_id=… silences as the user', async () => {
    const posted = await alertMessage();
    const list = await json(await run('alerts'));
    const text = JSON.stringify(list.blocks);
    expect(text).toContain(posted.n.alerts[0]!.summary);
    expect(text).toContain(posted.n.alerts[0]!.episode_id);
    expect(text).toContain('/tocsin ack &lt;id&gt;');

    const before = silences.length;
    const silenced = await json(await run('silence 2h chain_id=cosmoshub-4', 'U0DAVE'));
    expect(silenced.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Silenced' } });
    expect(JSON.stringify(silenced.blocks)).toContain('`/tocsin unsilence s');
    expect(silences.slice(before)).toEqual([
      expect.objectContaining({
        by: 'slack:U0DAVE',
        matchers: [{ name: 'chain_id', op: '=', value: 'cosmoshub-4' }],
        duration_s: 7200,
      }),
    ]);
  });

  it('bad arguments get the usage; unknown commands the list; a bad signature a 401', async () => {
    const bad = await json(await run('register cosmos1xyz cosmoshub-4 two'));
    expect(bad.response_type).toBe('ephemeral');
    const text = JSON.stringify(bad.blocks);
    expect(text).toContain('`threshold` must be a number, got \\"two\\"');
    expect(text).toContain('Usage: `/tocsin register &lt;wallet&gt; &lt;chain_id&gt; &lt;threshold&gt;`');

    const missing = JSON.stringify(await json(await run('silence')));
    expect(missing).toContain('Missing `duration`');

    const unknown = JSON.stringify(await json(await run('launch rockets')));
    expect(unknown).toContain('There is no `/tocsin launch`');

    const before = acks.length;
    const forged = await run(`ack ${'0'.repeat(26)}`, 'U0ALICE', {
      'x-slack-signature': `v0=${'f'.repeat(64)}`,
      'x-slack-request-timestamp': String(Math.floor(h.clock.now() / 1000)),
    });
    expect(forged.status).toBe(401);
    expect(acks.length).toBe(before);
  });
});
