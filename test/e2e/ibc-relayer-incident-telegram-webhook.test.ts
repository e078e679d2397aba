import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Notification } from '@tocsin/events';
import { notifierWebhookService } from '@tocsin/notifier-webhook';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHATS, type Harness, startHarness } from '../../services/notifier-telegram/test/harness.ts';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';
import { RELAYER, type RelayerScenario, startRelayerScenario } from '../support/relayerIncident.ts';

/**
 * The IBC incident scenario (sim-cosmos: 40 clients 9 h from expiry, the relayer wallet empty in under an hour) →
 * cosmos-ibc → alerter (shipped `ibc-relayer` correlation) → notifier-telegram (real grammY, the fake Bot API) and
 * notifier-webhook (a local receiver), on one ManualClock. The clients fire first (one incident message); when the
 * wallet's burn rate is known the incident grows: Telegram edits that one message (editMessageText) to name the
 * wallet as the cause, and the webhook gets the update under the same ids (X-Tocsin-Incident, X-Tocsin-Update-Of).
 */

let env: TestEnv;
let clock: ManualClock;
let scenario: RelayerScenario;
let alerter: InProcessAlerter;
let h: Harness;
let webhook: RunningService;
let receiver: Server;
const hooks: { headers: IncomingHttpHeaders; body: Notification; id: string }[] = [];

beforeAll(async () => {
  env = await testEnv('ibc-incident-tg');
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startAlerter(env, clock);
  h = await startHarness('ibc-incident-tg', {}, { mentions: [] }, { env, clock });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = `m-${hooks.length + 1}`;
      hooks.push({ headers: req.headers, body: JSON.parse(body) as Notification, id });
      res.writeHead(200, { 'x-message-id': id }).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  webhook = await startService(notifierWebhookService, {
    argv: [],
    env: { ...env.env, TOCSIN_HTTP_PORT: '0' },
    clock,
    config: { ...env.config, webhook: { targets: [{ name: 'ops', url }] } },
  });
  scenario = await startRelayerScenario(env, clock);
}, 60_000);
afterAll(async () => {
  await scenario?.stop();
  await webhook?.stop();
  await h?.close();
  await alerter?.running.stop();
  receiver?.close();
  await env.cleanup();
});

async function delivered() {
  const jsm = await jetstreamManager(h.nc);
  for (const durable of ['notifier-telegram', 'notifier-webhook'])
    await eventually(
      async () => {
        const info = await jsm.consumers.info(env.subjects.streams.alerts, durable);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      30_000,
      `${durable} to deliver every notification`,
    );
}
async function scan() {
  await scenario.ingestor.scanOnce();
  await h.nc.flush();
  await alerter.settle(h.nc);
  await delivered();
}
const incidentMessages = () =>
  h.fake.botMessages(CHATS.ops).filter((m) => !m.reply_to_message && m.text.includes('Incident'));
const incidentHooks = () => hooks.filter((x) => x.body.incident);

describe('sim-cosmos → cosmos-ibc → alerter → Telegram and webhook: a grown incident is an update', () => {
  it('the clients, then the draining wallet: one Telegram message edited to name the wallet; the webhook gets an update of the same id', async () => {
    await scan();
    const heads = await eventually(
      () => {
        const l = incidentMessages();
        return l.length ? l : undefined;
      },
      20_000,
      'the incident message',
    );
    const head = heads![0];
    expect(head!.text).toMatch(/Incident: IBC client 07-tendermint-\d+ on cosmoshub-4 expires in 9h/);
    // Critical: in the general chat and in its pager topic, one message each.
    const before = incidentMessages().map((m) => [m.message_id, m.message_thread_id ?? null]);
    expect(before.map(([, thread]) => thread).sort()).toEqual([7, null].sort());
    const first = await eventually(() => incidentHooks()[0], 20_000, 'the incident webhook');
    expect(first!.headers['x-tocsin-incident']).toBe(first!.body.group.key);
    expect(first!.headers['x-tocsin-update-of']).toBeUndefined();

    clock.advance(600_000);
    await scan();
    const edited = await eventually(
      () => {
        const m = h.fake.botMessages(CHATS.ops).find((x) => x.message_id === head!.message_id);
        return m?.edit_date && m.text.includes(`relayer wallet ${RELAYER}`) ? m : undefined;
      },
      20_000,
      'the incident message edited, naming the wallet as the cause',
    );
    // The wallet empties long before the clients expire: the incident line says both, the wallet named as the cause.
    expect(edited!.text).toMatch(
      new RegExp(
        `Incident: clients 07-tendermint-0\\.\\.39 expire in 8h 49m; the relayer wallet ${RELAYER} empties in 39m 56s at the current burn rate`,
      ),
    );
    // Still the same incident messages (each edited): nothing posted for the growth.
    expect(incidentMessages().map((m) => [m.message_id, m.message_thread_id ?? null])).toEqual(before);
    for (const m of incidentMessages()) expect(m.text).toContain(`the relayer wallet ${RELAYER} empties in`);

    // The webhook: the grown incident is an update of the first message (the receiver's id), same incident id.
    const grown = await eventually(
      () => incidentHooks().find((x) => x.body.alerts.some((a) => a.labels.address === RELAYER)),
      20_000,
      'the grown incident on the webhook',
    );
    expect(grown!.headers['x-tocsin-incident']).toBe(first!.headers['x-tocsin-incident']);
    expect(grown!.headers['x-tocsin-update-of']).toBe(first!.id);
    expect(grown!.body.transition).toBe('firing');
    expect(grown!.body.alerts).toHaveLength(41);
  });
});
