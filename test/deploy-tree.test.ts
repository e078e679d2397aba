import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  type FakeDiscord,
  type FakeSlack,
  type FakeTelegram,
  startFakeDiscord,
  startFakeSlack,
  startFakeTelegram,
} from '@tocsin/chat-fakes';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildAll, deployService, repoRoot } from '../deploy/build.ts';
import { cleanEnv, type ServiceProcess, spawnService, startedUrl } from './support/processes.ts';

// The production tree of every service, as deploy/Dockerfile builds it (deploy/build.ts: JavaScript in dist/,
// `pnpm deploy --prod`), started with the Dockerfile's own CMD. No Docker engine here: the tree runs on this
// machine's Node (20; the images run 22), which is also the oldest the build targets.
const services = readdirSync(join(repoRoot, 'services')).filter((d) =>
  existsSync(join(repoRoot, 'services', d, 'src', 'main.ts')),
);
const dockerfile = readFileSync(join(repoRoot, 'deploy', 'Dockerfile'), 'utf8');
const cmd = JSON.parse(
  /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')))![1]!,
) as [string, ...string[]];

const DISCORD_TOKEN = 'deploy-tree-discord-token-0000';
const SLACK_TOKEN = 'xoxb-deploy-tree-0000';
const TELEGRAM_TOKEN = '7000000001:deploy-tree-telegram-token';
let env: TestEnv;
let work: string;
let discord: FakeDiscord;
let slack: FakeSlack;
let telegram: FakeTelegram;
const trees: Record<string, string> = {};

function secret(name: string, value: string): string {
  const path = join(work, name);
  writeFileSync(path, value, { mode: 0o600 });
  return path;
}

function configFile(name: string, doc: Record<string, unknown>): string {
  const path = join(work, name);
  writeFileSync(path, stringify(doc));
  return path;
}

beforeAll(async () => {
  env = await testEnv('deploy-tree');
  work = mkdtempSync(join(tmpdir(), 'tocsin-deploy-tree-'));
  discord = await startFakeDiscord({ token: DISCORD_TOKEN });
  slack = await startFakeSlack({ token: SLACK_TOKEN });
  telegram = await startFakeTelegram({ token: TELEGRAM_TOKEN, chats: [{ id: -1001000000001 }] });
  await buildAll();
  for (const s of services) {
    trees[s] = join(work, 'trees', s);
    deployService(s, trees[s]!);
  }
}, 600_000);

afterAll(async () => {
  await discord?.close();
  await slack?.close();
  await telegram?.close();
  await env?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A config each service is ready with: the shared servers, this file's prefix and schema, fakes for chat. */
function goodConfig(service: string): Record<string, unknown> {
  const common = {
    subject_prefix: env.prefix,
    nats: { url: env.natsUrl },
    database: { url: env.databaseUrl, schema: env.schema },
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
  };
  switch (service) {
    case 'notifier-discord': {
      const guild = discord.addGuild({ name: 'ops', channels: [{ name: 'alerts' }] });
      return {
        ...common,
        discord: {
          token_file: secret('discord_token', DISCORD_TOKEN),
          api_url: discord.url,
          guild_id: guild.id,
          default_channel: guild.channels[0]!.id,
        },
      };
    }
    case 'notifier-slack':
      slack.addChannel({ id: 'C0DEPLOY', name: 'alerts' });
      return {
        ...common,
        slack: {
          token_file: secret('slack_token', SLACK_TOKEN),
          signing_secret_file: secret('slack_signing_secret', 'deploy-tree-signing-secret'),
          api_url: slack.url,
          default_channel: 'C0DEPLOY',
        },
      };
    case 'notifier-telegram':
      return {
        ...common,
        telegram: {
          token_file: secret('telegram_token', TELEGRAM_TOKEN),
          api_root: telegram.url,
          chats: [{ chat_id: -1001000000001 }],
        },
      };
    case 'notifier-webhook':
      return { ...common, webhook: { console: true } };
    default:
      return common;
  }
}

/** The Dockerfile's CMD in the tree, with the image's environment (and none of this machine's TOCSIN_*). */
function start(service: string, config: string): ServiceProcess {
  return spawnService(cmd[0] === 'node' ? process.execPath : cmd[0], [...cmd.slice(1), '--config', config], {
    cwd: trees[service],
    env: { ...cleanEnv(), NODE_ENV: 'production' },
  });
}

describe.each(services)('the production tree of services/%s', (service) => {
  it('holds JavaScript only: no TypeScript sources of ours, no TypeScript loader', () => {
    const tree = trees[service]!;
    expect(existsSync(join(tree, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(tree, 'src'))).toBe(false);
    expect(existsSync(join(tree, 'node_modules', 'tsx'))).toBe(false);
    const pnpmDir = join(tree, 'node_modules', '.pnpm');
    expect(readdirSync(pnpmDir).filter((d) => /^(tsx|esbuild|typescript)@/.test(d))).toEqual([]);
    // Embedded PostgreSQL is the laptop's (`tocsin up`, packages/cli): no service image carries PGlite.
    expect(readdirSync(pnpmDir).filter((d) => d.startsWith('@electric-sql+pglite'))).toEqual([]);
    for (const d of readdirSync(pnpmDir).filter((d) => d.startsWith('@tocsin+'))) {
      const scope = join(pnpmDir, d, 'node_modules', '@tocsin');
      for (const name of readdirSync(scope)) {
        const pkg = join(scope, name);
        if (!existsSync(join(pkg, 'package.json'))) continue;
        const exports = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports as Record<
          string,
          string
        >;
        for (const target of Object.values(exports))
          expect(existsSync(join(pkg, target)), `${relative(tree, pkg)} exports ${target}`).toBe(true);
        expect(existsSync(join(pkg, 'src')), relative(tree, pkg)).toBe(false);
      }
    }
  });

  it('exits 1 with the configuration message when the config is invalid', async () => {
    const bad = configFile(`${service}-bad.yaml`, { nats: { duplicate_window: 'soon' } });
    const run = start(service, bad);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(`${service}: invalid configuration (${bad}):`);
    expect(run.output()).toContain('nats.duplicate_window: "soon" is not a duration');
    expect(run.output()).not.toMatch(/\n\s+at /);
  });

  it('starts with a good config: /readyz answers 200, SIGTERM stops it with exit 0', async () => {
    const run = start(service, configFile(`${service}-good.yaml`, goodConfig(service)));
    try {
      const url = await startedUrl(service, run);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
    } finally {
      run.kill('SIGTERM');
    }
    expect(await run.exited, run.output().slice(-2000)).toBe(0);
  });
});

// The console's image serves the dashboard deploy/build.ts built (web/dist); the dashboard's sources stay behind.
it('the console tree serves the built dashboard at / and ships no dashboard sources', async () => {
  const tree = trees.console!;
  expect(existsSync(join(tree, 'web', 'dist', 'index.html'))).toBe(true);
  expect(readdirSync(join(tree, 'web'))).toEqual(['dist']);
  const run = start('console', configFile('console-web.yaml', goodConfig('console')));
  try {
    const url = await startedUrl('console', run);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(script, html).toMatch(/^\/assets\/index-.*\.js$/);
    const js = await fetch(`${url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
  } finally {
    run.kill('SIGTERM');
  }
  expect(await run.exited, run.output().slice(-2000)).toBe(0);
});
