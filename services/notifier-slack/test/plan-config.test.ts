import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRequestError } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { toDeliveryError } from '../src/client.ts';
import { slackConfig, slackSection } from '../src/config.ts';
import { planDelivery } from '../src/plan.ts';
import { alertFixture, notificationFixture } from './fixtures.ts';

describe('planDelivery', () => {
  const [a, b, c] = [alertFixture(), alertFixture(), alertFixture()];

  it('firing and notices are new messages, whatever came before', () => {
    const prior = new Map([[a!.episode_id, '111.1']]);
    expect(planDelivery(notificationFixture({}, [a!, b!]), prior)).toEqual([
      { kind: 'post', alerts: [a, b] },
    ]);
    expect(planDelivery(notificationFixture({ transition: 'notice' }, [a!]), prior)).toEqual([
      { kind: 'post', alerts: [a] },
    ]);
  });

  it('later transitions reply in each announcing thread; resolves also edit it; alerts never announced get a message', () => {
    const prior = new Map([
      [a!.episode_id, '111.1'],
      [b!.episode_id, '222.2'],
      [c!.episode_id, '111.1'],
    ]);
    const resolved = notificationFixture({ transition: 'resolved' }, [a!, b!, c!, alertFixture()]);
    const steps = planDelivery(resolved, prior);
    expect(steps).toEqual([
      { kind: 'post', alerts: [resolved.alerts[3]] },
      { kind: 'reply', thread: '111.1', alerts: [a, c], update: true, broadcast: false },
      { kind: 'reply', thread: '222.2', alerts: [b], update: true, broadcast: false },
    ]);
    expect(planDelivery(notificationFixture({ transition: 'escalated' }, [a!]), prior)).toEqual([
      { kind: 'reply', thread: '111.1', alerts: [a], update: false, broadcast: true },
    ]);
    expect(planDelivery(notificationFixture({ transition: 'repeat' }, [b!]), prior)).toEqual([
      { kind: 'reply', thread: '222.2', alerts: [b], update: false, broadcast: false },
    ]);
    // A flapping alert's edits: the original is edited, nothing is said in its thread.
    expect(planDelivery(notificationFixture({ transition: 'flapping' }, [b!]), prior)).toEqual([
      { kind: 'reply', thread: '222.2', alerts: [b], update: true, broadcast: false, quiet: true },
    ]);
  });
});

describe('toDeliveryError', () => {
  const platform = (error: string, extra: Record<string, unknown> = {}) =>
    new WebAPIPlatformError({ ok: false, error, ...extra });

  it('permanent: unknown channel, not a member, archived, bad token, missing scope', () => {
    for (const code of [
      'channel_not_found',
      'not_in_channel',
      'is_archived',
      'invalid_auth',
      'missing_scope',
    ]) {
      const e = toDeliveryError(platform(code), 'slack channel C1');
      expect(e.retry).toBe(false);
      expect(e.message).toBe(`slack channel C1: ${code}`);
    }
    expect(toDeliveryError(platform('missing_scope', { needed: 'chat:write' }), 'x').message).toBe(
      'x: missing_scope (needs chat:write)',
    );
    expect(toDeliveryError(new WebAPIHTTPError(404, 'Not Found', {}), 'x')).toMatchObject({
      retry: false,
      status: 404,
    });
  });

  it('retry: 5xx, timeouts and network errors, Slack-side transient errors, 429s not cleared', () => {
    expect(toDeliveryError(new WebAPIHTTPError(500, 'Internal', {}), 'x')).toMatchObject({
      retry: true,
      status: 500,
    });
    expect(toDeliveryError(new WebAPIHTTPError(503, 'Unavailable', {}), 'x').retry).toBe(true);
    expect(
      toDeliveryError(new WebAPIRequestError(new Error('The operation was aborted due to timeout')), 'x'),
    ).toMatchObject({
      retry: true,
      message: 'x: The operation was aborted due to timeout',
    });
    expect(toDeliveryError(platform('internal_error'), 'x').retry).toBe(true);
    expect(
      toDeliveryError(new Error('A rate limit was exceeded (url: u, retry-after: 1)'), 'x'),
    ).toMatchObject({
      retry: true,
      status: 429,
    });
  });
});

describe('slackConfig', () => {
  it('applies defaults and normalises mentions', () => {
    const cfg = slackConfig.parse({
      token_file: '/t',
      default_channel: 'C0ALERTS',
      mentions: ['U0ALICE', 'here'],
    });
    expect(cfg).toMatchObject({
      api_url: 'https://slack.com/api/',
      username: 'tocsin',
      timeout: 10_000,
      rate_limit_retries: 10,
      mentions: ['<@U0ALICE>', '<!here>'],
      routes: [],
      admin_users: [],
    });
  });

  it('names each bad field: channel names instead of ids, bad mentions, missing token file', () => {
    const r = slackConfig.safeParse({
      default_channel: '#alerts',
      routes: [{ severity: 'critical', channel: 'pager' }],
      mentions: ['@bob'],
      admin_users: ['bob'],
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    // Every bad field at once, not one round per fix.
    expect(paths).toEqual([
      'admin_users.0',
      'default_channel',
      'mentions.0',
      'routes.0.channel',
      'token_file',
    ]);
    const channels = slackConfig.safeParse({
      token_file: '/t',
      default_channel: '#alerts',
      routes: [{ severity: 'critical', channel: 'pager' }],
    });
    expect(channels.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'default_channel',
        '"#alerts" is not a channel id (like C0123ABCD: channel details → About, at the bottom)',
      ],
      [
        'routes.0.channel',
        '"pager" is not a channel id (like C0123ABCD: channel details → About, at the bottom)',
      ],
    ]);
  });

  it('socket_mode needs the app token file, named as the missing field', () => {
    const r = slackSection.safeParse({ token_file: '/t', socket_mode: true });
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['app_token_file', 'required with socket_mode: true (a file holding the app-level token xapp-…)'],
    ]);
    expect(
      slackSection.parse({ token_file: '/t', socket_mode: true, app_token_file: '/a' }).socket_mode,
    ).toBe(true);
    expect(slackSection.parse({ token_file: '/t' }).socket_mode).toBe(false);
  });
});
