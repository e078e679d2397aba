import { signSlackRequest, slashCommandBody } from '@tocsin/chat-fakes';
import { type CosmosSim, startCosmosSim } from '@tocsin/sim-cosmos';
import { eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import {
  DISCORD_TOKEN,
  SLACK_CHANNEL,
  SLACK_SIGNING_SECRET,
  SLACK_TOKEN,
  startChat,
} from './harness/chat.ts';
import { type Pipeline, RULE, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';
import { type ServiceProcess, spawnService, workDir } from './harness/services.ts';

// One full run with every kind of configured secret: chat tokens and the Slack signing secret, a webhook signing
// secret, the console's login token, a database password (in a URL read from a file), and an RPC URL with user
// info and an API key in its query. Everything the run produced is captured: every process's stdout and stderr,
// every message published on the test's subjects (events, alerts, RPC, heartbeats), everything the fake Discord
// and Slack received (bodies, paths and queries; a platform's own token in its Authorization header is how it
// authenticates), and every webhook body. None of it contains a secret.

const SECRETS = {
  webhook: 'faults-webhook-hmac-secret-5d0c77',
  consoleToken: 'faults-console-login-token-8e1f09',
  dbPassword: 'faults-db-password-c3a9e2',
  rpcUser: 'faults-rpc-user-b71d4f',
  rpcPassword: 'faults-rpc-password-0a6e58',
  rpcApiKey: 'faults-rpc-apikey-47f2d1',
  discord: DISCORD_TOKEN,
  slack: SLACK_TOKEN,
  slackSigning: SLACK_SIGNING_SECRET,
};

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

it('a full run never shows a configured secret in logs, events, alerts or chat', async () => {
  nats = await startNatsServer();
  sim = await startCosmosSim({
    scenario: {
      chains: [
        {
          chain_id: 'secret-1',
          generate_clients: {
            count: 3,
            seed: 5,
            counterparty_chain_ids: ['counterparty-1'],
            trusting_period_s: 1_209_600,
            last_update_ago_s: 1_100_000,
          },
        },
      ],
    },
  });
  const work = workDir('secrets');
  chat = await startChat(work);
  const c = chat;
  const db = new URL(inject('databaseUrl'));
  db.password = SECRETS.dbPassword;
  const rpc = new URL(sim.chainUrl('secret-1'));
  rpc.username = SECRETS.rpcUser;
  rpc.password = SECRETS.rpcPassword;
  rpc.searchParams.set('apikey', SECRETS.rpcApiKey);
  // A second endpoint that refuses connections, so the first one's URL also shows up in endpoint_error events.
  const dead = new URL('http://127.0.0.1:9/secret-1');
  dead.username = SECRETS.rpcUser;
  dead.password = SECRETS.rpcPassword;
  dead.searchParams.set('apikey', SECRETS.rpcApiKey);
  p = await startPipeline({
    name: 'secrets',
    natsUrl: nats.url,
    databaseUrl: inject('databaseUrl'),
    work,
    webhookTarget: { secret_file: work.secret('webhook-secret', SECRETS.webhook) },
    extra: {
      ...c.sections,
      database: { url_file: work.secret('database-url', db.toString()), pool_size: 4 },
      console: { token_file: work.secret('console-token', SECRETS.consoleToken) },
      cosmos_ibc: {
        retries: 0,
        chains: [
          {
            chain_id: 'secret-1',
            rpc: [dead.toString(), rpc.toString()],
            denom: 'stake',
            display_denom: 'STAKE',
            scan_interval: '5s',
          },
        ],
      },
    },
  });
  const pipeline = p;
  const published: string[] = [];
  const tap = pipeline.nc.subscribe(`${pipeline.prefix}.>`, {
    callback: (_err, m) => {
      published.push(`${m.subject} ${m.string()}`);
    },
  });
  const services = (['notifier-discord', 'notifier-slack', 'cosmos-ibc', 'console'] as const).map((n) =>
    spawnService(n, pipeline.config),
  );
  extra.push(...services);
  pipeline.services.push(...services);
  await Promise.all(services.map((s) => s.started()));

  // Alerts about the chain's clients reach every notifier; the dead endpoint is reported.
  await eventually(() => pipeline.receiver.ofRule(RULE).length >= 3, 120_000, 'the clients alerted');
  await eventually(
    () => published.some((m) => m.includes('endpoint_error')),
    60_000,
    'an endpoint_error event',
  );
  // Chat output: a command on Discord and on Slack that lists chains and endpoints' state.
  c.discord.dispatchMessageCreate({
    channel_id: c.discordChannel,
    content: '$data secret-1',
    author: { id: '200000000000000001', username: 'alice' },
  });
  const slackUrl = /"url":"(http:\/\/[^"]+)"/.exec(
    services[1]!
      .output()
      .split('\n')
      .find((l) => l.includes('notifier-slack started')) ?? '',
  )?.[1];
  const body = slashCommandBody({
    command: '/tocsin',
    text: 'data secret-1',
    channel: { id: SLACK_CHANNEL },
    user: { id: 'U0ALICE' },
  });
  const res = await fetch(`${slackUrl}/slack/commands`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest({
        signingSecret: SLACK_SIGNING_SECRET,
        body,
        timestamp: Math.floor(Date.now() / 1000),
      }),
    },
    body,
  });
  const slackReply = await res.text();
  expect(res.status).toBe(200);
  await eventually(
    () => c.discord.requests({ method: 'POST' }).some((r) => JSON.stringify(r.body).includes('secret-1')),
    60_000,
    'the Discord command answered',
  );
  // Stop cleanly too: shutdown paths log as well.
  for (const s of pipeline.services) expect(await s.stop(), s.name).toBe(0);
  tap.unsubscribe();

  const captured: Record<string, string> = {
    ...Object.fromEntries(pipeline.services.map((s) => [`output of ${s.name}`, s.output()])),
    'published on NATS': published.join('\n'),
    'webhook bodies': JSON.stringify(pipeline.receiver.posts.map((d) => d.notification)),
    'Discord requests': JSON.stringify(c.discord.requests().map((r) => [r.method, r.path, r.query, r.body])),
    'Slack requests': JSON.stringify(c.slack.requests().map((r) => [r.method, r.args])),
    'Slack command reply': slackReply,
  };
  const leaks = Object.entries(captured).flatMap(([where, text]) =>
    Object.entries(SECRETS)
      .filter(([, secret]) => text.includes(secret) || text.includes(encodeURIComponent(secret)))
      .map(([name]) => `${name} in ${where}`),
  );
  expect(leaks).toEqual([]);
  // It did capture a real run: logs, events and chat traffic.
  expect(published.length).toBeGreaterThan(10);
  expect(captured['Slack requests']).toContain('chat.postMessage');
});
