import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCommands } from '@tocsin/commands';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordConfig } from '../src/config.ts';
import { slashCommandsOf } from '../src/slashCommands.ts';
import { secretFile } from './harness.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

describe('discord config', () => {
  it('takes a bot token file or a webhook URL file, not both and not neither', () => {
    const issues = (raw: unknown) =>
      discordConfig.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ token_file: '/t' })).toEqual([]);
    expect(issues({ webhook_url_file: '/w' })).toEqual([]);
    expect(issues({})).toEqual([
      'token_file: set token_file (bot) or webhook_url_file (webhook-only mode), not both',
    ]);
    expect(issues({ token_file: '/t', webhook_url_file: '/w' })).toHaveLength(1);
    expect(issues({ token_file: '/t', default_channel: '#alerts', routes: [{ channel: 'ops' }] })).toEqual([
      'default_channel: a channel id (digits)',
      'routes.0.channel: a channel id (digits)',
    ]);
    expect(issues({ token_file: '/t', mentions: ['@here'] })[0]).toMatch(/^mentions/);
    const parsed = discordConfig.parse({ token_file: '/t', rate: { per: '10s' } });
    expect(parsed).toMatchObject({
      prefix: '$',
      api_url: 'https://discord.com/api',
      rate: { burst: 5, per: 10_000 },
    });
  });

  it('gives every command a valid slash definition', () => {
    for (const c of slashCommandsOf(defaultCommands())) {
      expect(c.name).toMatch(/^[-_a-z0-9]{1,32}$/);
      expect(c.description.length).toBeLessThanOrEqual(100);
      const options = c.options ?? [];
      const firstOptional = options.findIndex((o) => !o.required);
      if (firstOptional >= 0) expect(options.slice(firstOptional).every((o) => !o.required)).toBe(true);
    }
  });
});

describe('process start', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await testEnv('discord-config');
  });
  afterAll(async () => env.cleanup());

  const run = (config: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', main], {
        env: { ...env.env, TOCSIN_CONFIG: secretFile(config) },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      // 'close', not 'exit': stderr may still hold unread output when 'exit' fires.
      child.once('close', (code) => resolve({ code, stderr }));
    });

  it('exits 1 naming each bad field', async () => {
    const { code, stderr } = await run("discord:\n  default_channel: '#alerts'\n  prefix: ''\n");
    expect(code).toBe(1);
    expect(stderr).toContain('discord.token_file: set token_file (bot) or webhook_url_file');
    expect(stderr).toContain('discord.prefix');
  });

  it('exits 1 when the token file is readable by others, without printing it', async () => {
    const token = secretFile('very-secret-token-value');
    const { chmodSync } = await import('node:fs');
    chmodSync(token, 0o644);
    const { code, stderr } = await run(`discord:\n  token_file: ${token}\n`);
    expect(code).toBe(1);
    expect(stderr).toContain('is readable by group/others');
    expect(stderr).not.toContain('very-secret-token-value');
  });
});
