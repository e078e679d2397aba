import { burnRate, toDisplay } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { clientExpiry } from '../src/clientExpiry.ts';
import {
  clientStatusData,
  clientStatusKey,
  clientUpdate,
  normaliseStatus,
} from '../src/clientObservation.ts';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;

describe('clientExpiry', () => {
  it('is at 80% of a 51,800 s trusting period after 41,441 s and below it after 41,439 s (the bot example)', () => {
    const over = clientExpiry(NOW - 41_441_000, 51_800, NOW);
    expect(over.elapsed_s).toBe(41_441);
    expect(over.elapsed_ratio).toBeGreaterThanOrEqual(0.8);
    expect(over.remaining_s).toBe(10_359);
    expect(over.expires_at).toBe(new Date(NOW + 10_359_000).toISOString());
    const under = clientExpiry(NOW - 41_439_000, 51_800, NOW);
    expect(under.elapsed_ratio).toBeLessThan(0.8);
    expect(under.remaining_s).toBe(10_361);
  });

  it('goes negative once the trusting period is over', () => {
    const e = clientExpiry(NOW - 90_000_000, 86_400, NOW);
    expect(e.remaining_s).toBe(-3600);
    expect(e.elapsed_ratio).toBeCloseTo(90_000 / 86_400, 10);
  });
});

describe('toDisplay', () => {
  it('divides by 10^exponent exactly', () => {
    expect(toDisplay(1_500_000n, 6)).toBe(1.5);
    expect(toDisplay(1n, 6)).toBe(0.000001);
    expect(toDisplay(0n, 6)).toBe(0);
    expect(toDisplay(123n, 0)).toBe(123);
    expect(toDisplay(10n ** 24n, 18)).toBe(1_000_000);
  });
});

describe('burnRate', () => {
  const s = (hoursAgo: number, amount: bigint) => ({ atMs: NOW - hoursAgo * HOUR, amount });

  it('is unknown with a single sample', () => {
    expect(burnRate([s(0, 5_000_000n)], NOW, 24 * HOUR, 6)).toEqual({
      burnPerHour: null,
      projectedEmptyS: null,
      projectedEmptyAt: null,
    });
  });

  it('projects the time to empty from a falling balance', () => {
    // 0.1 ATOM/h, 1.5 ATOM left → 15 h.
    const r = burnRate([s(2, 1_700_000n), s(1, 1_600_000n), s(0, 1_500_000n)], NOW, 24 * HOUR, 6);
    expect(r.burnPerHour).toBeCloseTo(0.1, 9);
    expect(r.projectedEmptyS).toBeCloseTo(15 * 3600, 3);
    expect(r.projectedEmptyAt).toBe(new Date(NOW + 15 * HOUR).toISOString());
  });

  it('ignores spending before the last top-up and samples outside the window', () => {
    const samples = [
      s(30, 100_000_000n),
      s(3, 1_000_000n),
      s(2, 10_000_000n),
      s(1, 9_000_000n),
      s(0, 8_000_000n),
    ];
    const r = burnRate(samples, NOW, 24 * HOUR, 6);
    expect(r.burnPerHour).toBeCloseTo(1, 9);
    expect(r.projectedEmptyS).toBeCloseTo(8 * 3600, 3);
  });

  it('reports 0 and no projection for a steady balance', () => {
    expect(burnRate([s(2, 7n), s(1, 7n), s(0, 7n)], NOW, 24 * HOUR, 6)).toEqual({
      burnPerHour: 0,
      projectedEmptyS: null,
      projectedEmptyAt: null,
    });
  });
});

describe('client observations', () => {
  const base = {
    chainId: 'cosmoshub-4',
    clientId: '07-tendermint-7',
    clientType: '07-tendermint',
    counterpartyChainId: 'osmosis-1',
    connectionIds: ['connection-3'],
    status: 'Active' as const,
    trustingPeriodS: 51_800,
    latestHeight: { revisionNumber: 1n, revisionHeight: 52_341n },
    lastUpdateMs: NOW - 41_441_000,
    observedAtMs: NOW,
  };

  it('builds client_status data with the expiry figures', () => {
    expect(clientStatusData(base)).toEqual({
      client_id: '07-tendermint-7',
      client_type: '07-tendermint',
      counterparty_chain_id: 'osmosis-1',
      connection_ids: ['connection-3'],
      status: 'Active',
      trusting_period_s: 51_800,
      latest_height: { revision_number: '1', revision_height: '52341' },
      last_update: new Date(NOW - 41_441_000).toISOString(),
      elapsed_s: 41_441,
      elapsed_ratio: 41_441 / 51_800,
      remaining_s: 10_359,
      expires_at: new Date(NOW + 10_359_000).toISOString(),
    });
  });

  it('keys client_status by chain, client, height and scan slot', () => {
    expect(clientStatusKey(base, 42)).toBe('cosmoshub-4:07-tendermint-7:1-52341:42');
    expect(clientStatusKey({ ...base, latestHeight: null }, 42)).toBe('cosmoshub-4:07-tendermint-7:none:42');
  });

  it('reports client_updated only when the latest height moved', () => {
    expect(clientUpdate(undefined, base)).toBeUndefined();
    expect(clientUpdate(base, { ...base })).toBeUndefined();
    const moved = clientUpdate(base, {
      ...base,
      latestHeight: { revisionNumber: 1n, revisionHeight: 52_900n },
      lastUpdateMs: NOW,
    });
    expect(moved?.key).toBe('cosmoshub-4:07-tendermint-7:1-52341->1-52900');
    expect(moved?.data).toEqual({
      client_id: '07-tendermint-7',
      counterparty_chain_id: 'osmosis-1',
      previous_height: { revision_number: '1', revision_height: '52341' },
      latest_height: { revision_number: '1', revision_height: '52900' },
      last_update: new Date(NOW).toISOString(),
    });
  });

  it('reads an unexpected ClientStatus as Unknown', () => {
    expect(normaliseStatus('Frozen')).toBe('Frozen');
    expect(normaliseStatus('Sleeping')).toBe('Unknown');
  });
});
