import { describe, expect, it } from 'vitest';
import { ACTION, alertButtons, decodeAction } from '../src/actions.ts';
import { slackMention } from '../src/config.ts';
import { alertFixture, notificationFixture } from './fixtures.ts';

describe('buttons', () => {
  it('values decode back to the alerter calls they stand for; foreign or forged values do not', () => {
    const a = alertFixture({ labels: { client_id: '07-tendermint-9', counterparty: 'osmosis-1' } });
    const [ack, s1, s24] = alertButtons(notificationFixture({}, [a]));
    expect(decodeAction(ack!.action_id, ack!.value)).toEqual({
      kind: 'ack',
      episodes: [a.episode_id],
      fingerprint: a.fingerprint,
    });
    const matchers = [
      { name: 'rule', op: '=', value: a.rule_id },
      { name: 'chain_id', op: '=', value: a.chain_id },
      { name: 'client_id', op: '=', value: '07-tendermint-9' },
      { name: 'counterparty', op: '=', value: 'osmosis-1' },
    ];
    expect(decodeAction(s1!.action_id, s1!.value)).toEqual({ kind: 'silence', duration_s: 3600, matchers });
    expect(decodeAction(s24!.action_id, s24!.value)).toEqual({
      kind: 'silence',
      duration_s: 86_400,
      matchers,
    });
    expect(decodeAction('other_app_button', ack!.value)).toBeNull();
    expect(decodeAction(ACTION.ack, 'not json')).toBeNull();
    expect(decodeAction(ACTION.ack, '{"e":[]}')).toBeNull();
    expect(decodeAction(ACTION.silence1h, '{"m":[]}')).toBeNull();
    expect(decodeAction(ACTION.ack, undefined)).toBeNull();
  });

  it('Resolve only for manual_resolve alerts, carrying just those episodes; a forged value does not decode', () => {
    const fact = alertFixture({ manual_resolve: true });
    const other = alertFixture({ episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8TB2' });
    expect(alertButtons(notificationFixture({}, [other])).map((b) => b.action_id)).not.toContain(
      ACTION.resolve,
    );
    const resolve = alertButtons(notificationFixture({}, [fact, other])).find(
      (b) => b.action_id === ACTION.resolve,
    )!;
    expect(resolve.text.text).toBe('Resolve all');
    expect(decodeAction(resolve.action_id, resolve.value)).toEqual({
      kind: 'resolve',
      episodes: [fact.episode_id],
    });
    expect(decodeAction(ACTION.resolve, '{"e":[]}')).toBeNull();
    expect(decodeAction(ACTION.resolve, '{"m":[["rule","x"]]}')).toBeNull();
  });

  it('no silence button when the matchers would not fit: never a broader silence than the alert', () => {
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label_${i}`, 'v'.repeat(60)]));
    const buttons = alertButtons(notificationFixture({}, [alertFixture({ labels })]));
    expect(buttons.map((b) => b.action_id)).toEqual([ACTION.ack]);
  });
});

describe('config mentions', () => {
  it('accepts ids, groups and Slack syntax; rejects anything else', () => {
    expect(
      ['U0ALICE', 'slack:U0BOB', 'subteam:S0OPS', 'here', '<@U0CAROL>'].map((m) => slackMention.parse(m)),
    ).toEqual(['<@U0ALICE>', '<@U0BOB>', '<!subteam^S0OPS>', '<!here>', '<@U0CAROL>']);
    expect(slackMention.safeParse('@alice').success).toBe(false);
    expect(slackMention.safeParse('discord:123').success).toBe(false);
  });
});
