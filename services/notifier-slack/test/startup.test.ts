import { spawn } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHANNELS, fakeChannels, secretFiles, TOKEN } from './harness.ts';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');
let env: TestEnv;
let fake: FakeSlack;
let files: ReturnType<typeof secretFiles>;

beforeAll(async () => {
  env = await testEnv('slack-startup');
  fake = await startFakeSlack({ token: TOKEN });
  fakeChannels(fake);
  files = secretFiles();
});
afterAll(async () => {
  await fake.close();
  await env.cleanup();
  rmSync(files.dir, { recursive: true, force: true });
});

/** Runs the service entry point until it exits; resolves with its exit code and stderr. */
function run(extra: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...env.env, TOCSIN__slack__api_url: fake.url, ...extra },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  // 'close', not 'exit': stderr may still hold unread output when 'exit' fires.
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr })));
}

it('bad config: exit 1 with one line per bad field', async () => {
  const { code, stderr } = await run({
    TOCSIN__slack__default_channel: 'alerts',
    TOCSIN__slack__mentions: '[alice]',
  });
  expect(code).toBe(1);
  expect(stderr).toContain('slack.token_file');
  expect(stderr).toContain('slack.default_channel: "alerts" is not a channel id');
  expect(stderr).toContain('slack.mentions.0: "alice" is not a Slack mention');
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
});

it('a token file others can read, or a token Slack rejects: exit 1 saying so, the token never printed', async () => {
  chmodSync(files.token, 0o644);
  const loose = await run({
    TOCSIN__slack__token_file: files.token,
    TOCSIN__slack__default_channel: CHANNELS.alerts,
  });
  expect(loose.code).toBe(1);
  expect(loose.stderr).toContain(`chmod 600 ${files.token}`);
  chmodSync(files.token, 0o600);

  const wrong = join(files.dir, 'wrong-token');
  writeFileSync(wrong, 'xoxb-not-the-right-one', { mode: 0o600 });
  const rejected = await run({
    TOCSIN__slack__token_file: wrong,
    TOCSIN__slack__default_channel: CHANNELS.alerts,
  });
  expect(rejected.code).toBe(1);
  expect(rejected.stderr).toContain(`Slack rejected the bot token in ${wrong}: invalid_auth`);
  expect(rejected.stderr).not.toContain('xoxb-not-the-right-one');
});
