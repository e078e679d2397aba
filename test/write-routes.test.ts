import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alerterService } from '@tocsin/alerter';
import { startFakeDiscord, startFakeSlack, startFakeTelegram } from '@tocsin/chat-fakes';
import { cosmosIbcService } from '@tocsin/cosmos-ibc';
import { discordNotifier } from '@tocsin/notifier-discord';
import { slackNotifier } from '@tocsin/notifier-slack';
import { telegramNotifier } from '@tocsin/notifier-telegram';
import { notifierWebhookService } from '@tocsin/notifier-webhook';
import { type RunningService, type ServiceDefinition, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleService } from '../services/console/src/index.ts';

// Every HTTP route that writes (POST, PUT, PATCH, DELETE) of every service refuses a request without credentials
// (401 or 403). The routes are read from each service's own router, so a route added later is covered too.

let env: TestEnv;
const running: RunningService[] = [];
const closers: (() => Promise<void>)[] = [];

function secret(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tocsin-routes-')), 'secret');
  writeFileSync(path, content);
  chmodSync(path, 0o600);
  return path;
}

beforeAll(async () => {
  env = await testEnv('write-routes');
  const discord = await startFakeDiscord({ token: 'routes-discord-token' });
  const guild = discord.addGuild({ name: 'g', channels: [{ name: 'alerts' }] });
  const slack = await startFakeSlack({ token: 'xoxb-routes' });
  slack.addChannel({ id: 'C0ROUTES', name: 'alerts' });
  const telegram = await startFakeTelegram({ token: '7000000001:routes', chats: [{ id: -1001 }] });
  closers.push(
    () => discord.close(),
    () => slack.close(),
    () => telegram.close(),
  );
  const sections: [ServiceDefinition, Record<string, unknown>][] = [
    // The console first: the wrong-token check below goes to it.
    [consoleService as ServiceDefinition, { console: { token_file: secret('routes-console-token') } }],
    [alerterService as ServiceDefinition, {}],
    [cosmosIbcService as ServiceDefinition, { cosmos_ibc: { auto_scan: false } }],
    [notifierWebhookService as ServiceDefinition, { webhook: { console: false } }],
    [
      discordNotifier as ServiceDefinition,
      {
        discord: {
          token_file: secret('routes-discord-token'),
          guild_id: guild.id,
          api_url: discord.url,
          default_channel: guild.channels[0]!.id,
        },
      },
    ],
    [
      slackNotifier() as ServiceDefinition,
      {
        slack: {
          token_file: secret('xoxb-routes'),
          signing_secret_file: secret('routes-signing-secret'),
          api_url: slack.url,
          default_channel: 'C0ROUTES',
        },
      },
    ],
    [
      telegramNotifier() as ServiceDefinition,
      {
        telegram: {
          token_file: secret('7000000001:routes'),
          api_root: telegram.url,
          chats: [{ chat_id: -1001 }],
          mode: 'webhook',
          webhook: {
            url: 'https://tocsin.example.org/telegram/webhook',
            secret_token_file: secret('routes_secret'),
          },
        },
      },
    ],
  ];
  for (const [def, section] of sections)
    running.push(await startService(def, { env: env.env, argv: [], config: { ...env.config, ...section } }));
});

afterAll(async () => {
  for (const r of running.reverse()) await r.stop();
  for (const c of closers) await c();
  await env?.cleanup();
});

/** [method, path] of every route of a service, from fastify's route tree (one line per node, 4 columns a level). */
function routesOf(r: RunningService): [string, string][] {
  const stack: string[] = [];
  const out: [string, string][] = [];
  for (const line of r.ctx.http.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of m[3]?.split(', ') ?? []) out.push([method, path]);
  }
  return out;
}

it('every write route of every service answers 401 or 403 without credentials', async () => {
  const writes = running.flatMap((r) =>
    routesOf(r)
      .filter(([m]) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m))
      .map(([method, path]) => ({ service: r.url, method, path })),
  );
  // The known ones are among them (the list is read from the routers, not written here).
  expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(
    expect.arrayContaining([
      'POST /api/alerts/:id/ack',
      'POST /api/silences',
      'DELETE /api/silences/:id',
      'POST /slack/interactions',
      'POST /slack/commands',
      'POST /telegram/webhook',
    ]),
  );
  const answers = [];
  for (const w of writes) {
    const res = await fetch(`${w.service}${w.path.replace(/:\w+/g, 'x')}`, {
      method: w.method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'intruder', matchers: [{ name: 'chain_id', value: 'x' }], duration_s: 60 }),
    });
    answers.push(`${w.method} ${w.path} ${res.status}`);
  }
  expect(answers.filter((a) => !/ 40[13]$/.test(a))).toEqual([]);
  // A wrong token is refused the same way.
  const wrong = await fetch(`${running[0]!.url}/api/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
    body: JSON.stringify({ by: 'intruder', matchers: [{ name: 'chain_id', value: 'x' }], duration_s: 60 }),
  });
  expect(wrong.status).toBe(401);
});
