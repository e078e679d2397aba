import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { type FakeSlack, signSlackRequest, startFakeSlack } from '@tocsin/chat-fakes';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { type SlackNotifierOptions, slackNotifier } from '../src/index.ts';

export const TOKEN = 'xoxb-test-token-0000';
export const SIGNING_SECRET = 'test-signing-secret-0000';
export const CHANNELS = { alerts: 'C0ALERTS', pager: 'C0PAGER', outside: 'C0OUTSIDE' } as const;

/** Secrets as the service reads them: files only the owner may read. */
export function secretFiles(): { dir: string; token: string; signingSecret: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-slack-'));
  const token = join(dir, 'token');
  const signingSecret = join(dir, 'signing-secret');
  writeFileSync(token, `${TOKEN}\n`, { mode: 0o600 });
  writeFileSync(signingSecret, SIGNING_SECRET, { mode: 0o600 });
  return { dir, token, signingSecret };
}

/** The `slack:` section the tests run with: alerts by default, critical also to the pager, notices outside. */
export function slackSection(fake: FakeSlack, files: { token: string; signingSecret: string }) {
  return {
    token_file: files.token,
    signing_secret_file: files.signingSecret,
    api_url: fake.url,
    default_channel: CHANNELS.alerts,
    routes: [
      { severity: 'critical', channel: CHANNELS.pager, continue: true },
      { transition: 'notice', channel: CHANNELS.outside },
    ],
    mentions: ['subteam:S0ONCALL'],
    admin_users: ['U0ADMIN'],
    username: 'tocsin (test)',
    icon_url: 'https://example.org/tocsin.png',
    // Short enough for the hang test, long enough that a loaded machine does not turn a slow answer into a
    // timeout (and a retry the exact-count assertions would see).
    timeout: '3s',
    rate_limit_retries: 3,
    // Tests that are not about bursts never coalesce.
    rate: { burst: 1000, per: '1s' },
  };
}

/**
 * notifier-slack as the end-to-end tests start it beside an alerter: on their clock, against the fake's API, with
 * the secrets as files; `slack` holds the rest of its section (channels, routes, rate…).
 */
export function startSlackNotifier(
  env: TestEnv,
  clock: ManualClock,
  fake: FakeSlack,
  files: { token: string; signingSecret: string },
  slack: Record<string, unknown>,
): Promise<RunningService> {
  return startService(slackNotifier(), {
    argv: [],
    env: { ...env.env, TOCSIN_HTTP_PORT: '0' },
    clock,
    config: {
      ...env.config,
      slack: {
        token_file: files.token,
        signing_secret_file: files.signingSecret,
        api_url: fake.url,
        ...slack,
      },
    },
  });
}

export function fakeChannels(fake: FakeSlack): void {
  fake.addChannel({ id: CHANNELS.alerts, name: 'alerts' });
  fake.addChannel({ id: CHANNELS.pager, name: 'pager' });
  // The bot was never invited there: Slack answers not_in_channel.
  fake.addChannel({ id: CHANNELS.outside, name: 'outside', isMember: false });
}

export interface Harness {
  env: TestEnv;
  fake: FakeSlack;
  svc: RunningService;
  clock: ManualClock;
  nc: Awaited<ReturnType<TestEnv['nats']>>;
  publisher: Publisher;
  /** Every log line the service wrote (JSON). */
  logs: string[];
  /** POSTs a body to the service signed as Slack would (or with the given headers). */
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
  signed(body: string, at?: number): Record<string, string>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  options: SlackNotifierOptions = {},
  section: Record<string, unknown> = {},
): Promise<Harness> {
  const env = await testEnv(name);
  const fake = await startFakeSlack({ token: TOKEN });
  fakeChannels(fake);
  const files = secretFiles();
  const clock = new ManualClock(Date.now());
  const logs: string[] = [];
  const logDest = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const svc = await startService(slackNotifier(options), {
    env: env.env,
    argv: [],
    clock,
    logDest,
    config: { ...env.config, slack: { ...slackSection(fake, files), ...section } },
  });
  const nc = await env.nats();
  const publisher = createPublisher({ nc, subjects: env.subjects, instance: 'test' });
  const signed = (body: string, at = clock.now()) => ({
    ...signSlackRequest({ signingSecret: SIGNING_SECRET, body, timestamp: Math.floor(at / 1000) }),
  });
  return {
    env,
    fake,
    svc,
    clock,
    nc,
    publisher,
    logs,
    signed,
    // In process (fastify's inject): the routes and their signature checks are under test, not the socket.
    async post(path, body, headers) {
      const res = await svc.ctx.http.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(headers ?? signed(body)) },
        payload: body,
      });
      const responseHeaders = new Headers();
      for (const [k, v] of Object.entries(res.headers))
        if (v !== undefined) responseHeaders.set(k, String(v));
      return new Response(res.statusCode === 204 ? null : res.body, {
        status: res.statusCode,
        headers: responseHeaders,
      });
    },
    async close() {
      await svc.stop();
      await fake.close();
      await env.cleanup();
      rmSync(files.dir, { recursive: true, force: true });
    },
  };
}

/** A firing notification for a fresh episode, and a later transition of it (the shared test fixtures). */
export { freshFiring as firing, laterTransition as later } from '@tocsin/testkit';
