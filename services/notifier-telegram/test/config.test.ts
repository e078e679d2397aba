import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, CommandRegistry, defaultCommands } from '@tocsin/commands';
import { routeChannels } from '@tocsin/notify';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botCommands } from '../src/chat.ts';
import { routesOf, telegramConfig } from '../src/config.ts';
import { firing } from './harness.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'tocsin-telegram-config-'));
let files = 0;
function file(content: string, mode = 0o600): string {
  const p = join(dir, `f${files++}`);
  writeFileSync(p, content, { mode });
  chmodSync(p, mode);
  return p;
}

const issues = (raw: unknown) =>
  telegramConfig.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('telegram config', () => {
  it('is strict: unknown keys, bad chat ids and a webhook without its settings are refused by name', () => {
    expect(issues({ token_file: '/t' })).toEqual([]);
    expect(issues({})).toEqual(['token_file: Invalid input: expected string, received undefined']);
    expect(issues({ token_file: '/t', tokne: 'x' })).toEqual([': Unrecognized key: "tokne"']);
    expect(issues({ token_file: '/t', chats: [{ chat_id: 0 }] })[0]).toMatch(
      /^chats\.0\.chat_id: a Telegram chat id/,
    );
    expect(issues({ token_file: '/t', chats: [{ chat_id: -1, channel: 'x' }] })[0]).toMatch(
      /Unrecognized key: "channel"/,
    );
    expect(issues({ token_file: '/t', chats: [{ chat_id: -1, severity: 'loud' }] })[0]).toMatch(
      /^chats\.0\.severity/,
    );
    expect(issues({ token_file: '/t', api_root: 'https://api.telegram.org/' })[0]).toMatch(/no trailing/);
    expect(issues({ token_file: '/t', mode: 'webhook' })).toEqual([
      'webhook: required with mode: webhook ({ url, secret_token_file })',
    ]);
    expect(issues({ token_file: '/t', mentions: ['@alice'] })[0]).toMatch(/^mentions\.0/);
    expect(
      telegramConfig.parse({ token_file: '/t', rate: { group: { burst: 2, per: '6s' } } }),
    ).toMatchObject({
      api_root: 'https://api.telegram.org',
      mode: 'polling',
      rate: { private: { burst: 1, per: 1000 }, group: { burst: 2, per: 6000 } },
    });
  });

  it('routes by severity, source and chain to chats and forum topics like the other notifiers', () => {
    const cfg = telegramConfig.parse({
      token_file: '/t',
      chats: [
        { chat_id: -100, message_thread_id: 7, severity: 'critical', continue: true },
        { chat_id: -200, source: 'cosmos-ibc', chain_id: 'osmosis-1' },
        { chat_id: 42 },
      ],
    });
    const routes = routesOf(cfg);
    expect(routeChannels(routes, firing({ severity: 'critical' }, { severity: 'critical' }))).toEqual([
      '-100/7',
      '42',
    ]);
    expect(routeChannels(routes, firing({}, { chain_id: 'osmosis-1' }))).toEqual(['-200']);
    expect(routeChannels(routes, firing())).toEqual(['42']);
  });

  it('offers Telegram every registry command whose name Telegram allows', () => {
    const registry = defaultCommands('/');
    const odd: Command = { name: 'Bad-Name', summary: 'x', args: [], run: async () => ({}) };
    const extra = new CommandRegistry('/').register(...registry.list(), odd);
    const warned: unknown[] = [];
    const cmds = botCommands(extra, { warn: (o: unknown) => warned.push(o) } as never);
    expect(cmds.map((c) => c.command)).toEqual(registry.list().map((c) => c.name));
    for (const c of cmds) {
      expect(c.command).toMatch(/^[a-z0-9_]{1,32}$/);
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.description.length).toBeLessThanOrEqual(256);
    }
    expect(warned).toEqual([{ command: 'Bad-Name' }]);
  });
});

describe('process start', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await testEnv('telegram-config');
  });
  afterAll(async () => {
    await env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (config: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', main], {
        env: { ...env.env, TOCSIN_CONFIG: file(config) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      child.once('close', (code) => resolve({ code, stderr }));
    });

  it('exits 1 naming each bad field', async () => {
    const { code, stderr } = await run('telegram:\n  chats: [{ chat_id: 0 }]\n  colour: red\n');
    expect(code).toBe(1);
    expect(stderr).toContain('telegram.token_file');
    expect(stderr).toContain('telegram.chats.0.chat_id');
    expect(stderr).toContain('colour');
  });

  it('exits 1 when the token file is readable by others, without printing it', async () => {
    const token = file('123456:very-secret-token-value', 0o644);
    const { code, stderr } = await run(`telegram:\n  token_file: ${token}\n`);
    expect(code).toBe(1);
    expect(stderr).toContain('is readable by group/others');
    expect(stderr).not.toContain('very-secret-token-value');
  });
});
