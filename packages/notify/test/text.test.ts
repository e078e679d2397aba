import { alertFixture, notificationFixture } from '@tocsin/testkit';
import { describe, expect, it } from 'vitest';
import { renderText } from '../src/index.ts';

describe('renderText (console and chat fallbacks)', () => {
  it('one line per alert with its chain; none for facts about tocsin itself (chain "-")', () => {
    const n = notificationFixture({ transition: 'firing', severity: 'critical', source: 'cosmos-ibc' }, [
      alertFixture({
        summary: 'IBC client 07-tendermint-3 on cosmoshub-4 has expired',
        chain_id: 'cosmoshub-4',
      }),
      alertFixture({
        summary: 'IBC client 07-tendermint-4 on cosmoshub-4 is frozen',
        chain_id: 'cosmoshub-4',
        acknowledged: { by: 'discord:42', at: '2026-11-21T12:00:00.000Z' },
      }),
    ]);
    expect(renderText(n)).toBe(
      [
        '🔴 FIRING critical · cosmos-ibc · 2 alerts',
        '  - IBC client 07-tendermint-3 on cosmoshub-4 has expired [cosmoshub-4]',
        '  - IBC client 07-tendermint-4 on cosmoshub-4 is frozen (acked by discord:42) [cosmoshub-4]',
      ].join('\n'),
    );
    const started = notificationFixture({ transition: 'notice', severity: 'info', source: 'system' }, [
      alertFixture({ summary: 'cosmos-ibc 0.1.0 started (demo)', chain_id: '-', severity: 'info' }),
    ]);
    expect(renderText(started)).toBe('🔵 NOTICE info · system\n  - cosmos-ibc 0.1.0 started (demo)');
  });
});
