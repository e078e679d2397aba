import { eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import { startChat } from './harness/chat.ts';
import { counts, type Pipeline, RULE, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';
import { type ServiceProcess, spawnService, workDir } from './harness/services.ts';

// Discord, Slack and the webhook receiver are down for OUTAGE_MS while alerts fire and resolve; then they are
// back. The backlog is delivered, each notification once, and in order per alert: the resolve after the firing
// (a reply to the firing message on Discord and Slack). The notifiers retry with backoff (250 ms doubling to
// 30 s), so five minutes is more than a dozen retries of each message. Real time: the file runs alongside the others.
const OUTAGE_MS = 5 * 60_000;
const CLIENTS = 10;

let nats: NatsNode & { close(): Promise<void> };
let p: Pipeline | undefined;
let chat: Awaited<ReturnType<typeof startChat>> | undefined;
const extra: ServiceProcess[] = [];

afterAll(async () => {
  await Promise.all(extra.map((s) => s.stop()));
  await p?.close();
  await chat?.close();
  await nats?.close();
});

it('Discord, Slack and webhook receivers down 5 minutes, then back: the backlog delivered once each, in order per alert', async () => {
  nats = await startNatsServer();
  const work = workDir('receivers_down');
  chat = await startChat(work);
  const c = chat;
  p = await startPipeline({
    name: 'receivers_down',
    natsUrl: nats.url,
    databaseUrl: inject('databaseUrl'),
    work,
    extra: c.sections,
  });
  const pipeline = p;
  const discord = spawnService('notifier-discord', pipeline.config);
  const slack = spawnService('notifier-slack', pipeline.config);
  extra.push(discord, slack);
  pipeline.services.push(discord, slack);
  await Promise.all([discord.started(), slack.started()]);

  // Down: the webhook's port is closed, Discord's and Slack's APIs answer 503 to everything.
  await pipeline.receiver.down();
  c.discord.failAlways({}, { status: 503, times: Number.POSITIVE_INFINITY });
  c.slack.failAlways({}, { status: 503, times: Number.POSITIVE_INFINITY });
  const downAt = Date.now();

  await pipeline.publishFacts(0, CLIENTS, true, 'r1');
  await eventually(
    async () => (await pipeline.notificationsStored()).length === CLIENTS,
    60_000,
    'every alert firing',
  );
  await pipeline.publishFacts(0, CLIENTS, false, 'r2');
  await eventually(
    async () => (await pipeline.notificationsStored()).length === 2 * CLIENTS,
    60_000,
    'every alert resolved',
  );
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt))));
  // Nothing got through while they were down.
  expect(pipeline.receiver.ofRule(RULE)).toHaveLength(0);
  expect(c.discordAbout('07-tendermint-0')).toHaveLength(0);
  expect(c.slackAbout('07-tendermint-0')).toHaveLength(0);

  await pipeline.receiver.up();
  c.discord.clearFaults();
  c.slack.clearFaults();
  await settled(pipeline, 2 * CLIENTS, 'the webhook backlog');
  const ids = Array.from({ length: CLIENTS }, (_, i) => `07-tendermint-${i}`);
  await eventually(
    () => ids.every((id) => c.discordAbout(id).length >= 2 && c.slackAbout(id).length >= 2),
    120_000,
    'the Discord and Slack backlogs',
  );

  expect(await counts(pipeline)).toMatchObject({
    // Two facts per client: crossed, then fine again.
    events: 2 * CLIENTS,
    notifications: 2 * CLIENTS,
    duplicateNotifications: 0,
    firing: CLIENTS,
    resolved: CLIENTS,
    deliveries: 2 * CLIENTS,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  for (const id of ids) {
    // Webhook: the firing, then the resolve.
    const hooks = pipeline.receiver
      .ofRule(RULE)
      .filter((d) => d.notification.alerts.some((a) => a.labels.client_id === id))
      .map((d) => d.notification.transition);
    expect(hooks).toEqual(['firing', 'resolved']);
    // Discord: one card (edited to resolved) and one reply to it.
    const [card, reply, ...more] = c.discordAbout(id);
    expect(more).toHaveLength(0);
    expect(reply!.message_reference?.message_id).toBe(card!.id);
    // Slack: one message and one reply in its thread.
    const [post, threaded, ...rest] = c.slackAbout(id);
    expect(rest).toHaveLength(0);
    // (A parent's thread_ts is its own ts once it has replies, as on Slack.)
    expect(post!.thread_ts ?? post!.ts).toBe(post!.ts);
    expect(threaded!.thread_ts).toBe(post!.ts);
  }
  for (const s of pipeline.services) expect(s.child.exitCode).toBe(null);
});
