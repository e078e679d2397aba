import { notificationFixture } from '@tocsin/testkit';
import { describe, expect, it } from 'vitest';
import { mentionIds } from '../src/render.ts';

describe('who a Telegram message tags', () => {
  it('firing: the configured users and the Telegram subscribers; a notice: nobody', () => {
    const firing = notificationFixture({ transition: 'firing', mentions: ['telegram:5', 'discord:6'] });
    expect(mentionIds(firing, [1])).toEqual([1, 5]);
    expect(mentionIds(notificationFixture({ transition: 'notice', mentions: ['telegram:5'] }), [1])).toEqual(
      [],
    );
  });

  it("a subscriber's digest (a notice) tags its owner only, not the configured users", () => {
    const digest = {
      owner: 'telegram:77',
      cadence: 'hourly' as const,
      period_start: '2026-11-21T10:00:00.000Z',
      period_end: '2026-11-21T11:00:00.000Z',
    };
    expect(
      mentionIds(notificationFixture({ transition: 'notice', mentions: ['telegram:77'], digest }), [1]),
    ).toEqual([77]);
    expect(
      mentionIds(
        notificationFixture({ transition: 'notice', digest: { ...digest, owner: 'slack:U1' } }),
        [1],
      ),
    ).toEqual([]);
  });
});
