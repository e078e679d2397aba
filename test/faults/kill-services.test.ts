import type { EventEnvelope } from '@tocsin/events';
import { type CosmosSim, startCosmosSim } from '@tocsin/sim-cosmos';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import { SLACK_CHANNEL, startChat } from './harness/chat.ts';
import { counts, type Pipeline, RULE, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';
import { type ServiceProcess, spawnService, workDir } from './harness/services.ts';

// kill -9 of each service in turn, each in the middle of its work, then restarted: the alerter while it applies
// facts, each notifier while it delivers, cosmos-ibc in the middle of a scan. Every fact is applied, every alert
// is notified once, and every notification reaches the webhook receiver, Discord and Slack once.

const PER_PHASE = 150;
const SIM_CLIENTS = 1500;
const TRUSTING = 1_209_600;

let nats: NatsNode & { close(): Promise<void> };
let sim: CosmosSim;
let p: Pipeline | undefined;
let chat: Awaited<ReturnType<typeof startChat>> | undefined;
const extra: ServiceProcess[] = [];

afterAll(async () => {
  await Promise.all(extra.map((s) => s.stop()));
  await p?.close();
  await chat?.close();
  await sim?.close();
  await nats?.close();
});

it('kill -9 of each service in turn, mid-stream, and a restart: 0 lost, 0 duplicates anywhere', async () => {
  nats = await startNatsServer();
  sim = await startCosmosSim({
    scenario: {
      chains: [
        {
          chain_id: 'sim-1',
          generate_clients: {
            count: SIM_CLIENTS,
            seed: 11,
            counterparty_chain_ids: ['counterparty-1'],
            trusting_period_s: TRUSTING,
            last_update_ago_s: Math.round(TRUSTING * 0.9),
          },
          // Slow enough that the scan is still running when the ingestor is killed.
          fault: { latency_ms: 100 },
        },
      ],
    },
  });
  const work = workDir('kill_services');
  chat = await startChat(work);
  const c = chat;
  p = await startPipeline({
    name: 'kill_services',
    natsUrl: nats.url,
    databaseUrl: inject('databaseUrl'),
    work,
    extra: {
      ...c.sections,
      cosmos_ibc: {
        max_concurrency_per_endpoint: 2,
        batch_size: 10,
        chains: [
          {
            chain_id: 'sim-1',
            rpc: [sim.chainUrl('sim-1')],
            denom: 'stake',
            display_denom: 'STAKE',
            scan_interval: '1h',
          },
        ],
      },
    },
  });
  const pipeline = p;
  const discord = spawnService('notifier-discord', pipeline.config);
  const slack = spawnService('notifier-slack', pipeline.config);
  extra.push(discord, slack);
  pipeline.services.push(discord, slack);
  await Promise.all([discord.started(), slack.started()]);
  const delivered = () => pipeline.receiver.ofRule(RULE).length;

  // Each phase: facts for PER_PHASE new clients; the service is killed once some of them got through.
  const phase = async (n: number, victim: ServiceProcess, progress: () => number) => {
    const base = progress();
    const publishing = pipeline.publishFacts(n * PER_PHASE, (n + 1) * PER_PHASE, true, 'r1', 5);
    await eventually(() => progress() >= base + 10, 120_000, `work under way before killing ${victim.name}`);
    expect(progress()).toBeLessThan(base + PER_PHASE);
    await victim.kill9();
    await publishing;
    await victim.restart();
    await settled(pipeline, (n + 1) * PER_PHASE, `phase ${n} (${victim.name} killed)`);
  };
  const chatMessages = (all: () => { embeds?: unknown; blocks?: unknown }[]) => () =>
    all().filter((m) => JSON.stringify(m).includes('faults-1')).length;
  await phase(0, pipeline.alerter, delivered);
  await phase(1, pipeline.webhook, delivered);
  await phase(
    2,
    discord,
    chatMessages(() => c.discord.messages(c.discordChannel)),
  );
  await phase(
    3,
    slack,
    chatMessages(() => c.slack.messages(SLACK_CHANNEL)),
  );
  const total = 4 * PER_PHASE;
  const ids = Array.from({ length: total }, (_, i) => `07-tendermint-${i}`);
  // One pass over each channel per poll: this process also serves the fakes, so a slow check starves the notifiers.
  await eventually(
    () => {
      const seen = c.perClient();
      return ids.every((id) => seen.discord.has(id) && seen.slack.has(id));
    },
    300_000,
    'every alert on Discord and Slack',
  ).catch((err: Error) => {
    const seen = c.perClient();
    const d = ids.filter((id) => !seen.discord.has(id));
    const s = ids.filter((id) => !seen.slack.has(id));
    // Messages about several clients at once (a digest), and what the platform answered last.
    const multi = (ms: unknown[]) =>
      ms.filter((m) => new Set(JSON.stringify(m).match(/07-tendermint-\d+/g) ?? []).size > 1).length;
    const lastSlack = c.slack.requests({ method: 'chat.postMessage' }).slice(-3);
    throw new Error(
      `${err.message}: missing on Discord ${d.length} (${d.slice(0, 5)}), on Slack ${s.length} (${s.slice(0, 5)}); ` +
        `messages: Discord ${c.discord.messages(c.discordChannel).length} (${multi(c.discord.messages(c.discordChannel))} about several clients), ` +
        `Slack ${c.slack.messages(SLACK_CHANNEL).length} (${multi(c.slack.messages(SLACK_CHANNEL))} about several clients); ` +
        `last Slack posts answered ${lastSlack.map((r) => r.status).join(',')}; notifier-slack ${slack.child.exitCode ?? 'running'}, ` +
        `notifier-discord ${discord.child.exitCode ?? 'running'}\n${[discord, slack]
          .map((p) =>
            p
              .output()
              .split('\n')
              .filter((l) => /"level":(40|50|60)/.test(l))
              .slice(-5)
              .join('\n'),
          )
          .join('\n')}`,
    );
  });
  expect(await counts(pipeline)).toMatchObject({
    events: total,
    notifications: total,
    duplicateNotifications: 0,
    deliveries: total,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  const seen = c.perClient();
  expect(ids.filter((id) => seen.discord.get(id) !== 1)).toEqual([]);
  expect(ids.filter((id) => seen.slack.get(id) !== 1)).toEqual([]);

  // cosmos-ibc, killed in the middle of its first scan of SIM_CLIENTS clients, scans again on restart.
  const events = collect<EventEnvelope>(pipeline.nc, `${pipeline.prefix}.events.cosmos-ibc.client_status`);
  const ingestor = spawnService('cosmos-ibc', pipeline.config);
  extra.push(ingestor);
  await ingestor.started();
  await eventually(() => events.items.length >= 100, 120_000, 'the first scan under way');
  expect(events.items.length).toBeLessThan(SIM_CLIENTS);
  await ingestor.kill9();
  await ingestor.restart();
  pipeline.services.push(ingestor);
  await settled(pipeline, SIM_CLIENTS, 'every simulated client alerted', 300_000, 'sim-1');
  expect(await counts(pipeline, 'sim-1')).toMatchObject({
    notifications: SIM_CLIENTS,
    duplicateNotifications: 0,
    firing: SIM_CLIENTS,
    deliveries: SIM_CLIENTS,
    duplicateDeliveries: 0,
    undelivered: 0,
  });
  for (const s of pipeline.services) expect(s.child.exitCode, s.name).toBe(null);
  events.stop();
});
