import type { Alert } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { incidentOf } from '../src/incidents/incidents.ts';
import { loadRules } from '../src/rules/loadRules.ts';

describe('correlation rules', () => {
  it('the shipped ibc-relayer incident ties the wallet and client rules by chain_id and counterparty', () => {
    const set = loadRules(alerterConfig.parse({}));
    const inc = set.incidents.get('ibc-relayer');
    expect(inc?.tie).toEqual(['chain_id', 'counterparty']);
    const wallet = set.rules.find((r) => r.id === 'wallet-projected-empty')!;
    expect(wallet.incident).toEqual({ id: 'ibc-relayer', tie: ['chain_id', 'counterparty'], waitMs: null });
    const scope = (labels: Record<string, string>) => ({
      event: { chain_id: 'cosmoshub-4' },
      data: { address: 'cosmos1x', display_denom: 'ATOM', labels },
      params: set.params,
      vars: {},
    });
    expect(wallet.labelsByName.get('counterparty')!.render(scope({ counterparty: 'osmosis-1' }))).toBe(
      'osmosis-1',
    );
    expect(wallet.labelsByName.get('counterparty')!.render(scope({}))).toBe('');
  });
});

describe('correlation rules: configuration', () => {
  it('names every bad field: unknown key, unknown rule, a tie label a member lacks, a rule in two incidents', () => {
    const load = (incidents: unknown[]) => () => loadRules(alerterConfig.parse({ incidents }));
    expect(load([{ id: 'ibc-relayer', colour: 'red' }])).toThrow(
      /alerter\.incidents \(id=ibc-relayer\): colour: unknown key/,
    );
    const bad = load([
      {
        id: 'subspace-path',
        rules: ['subspace-stall', 'ibc-client-expiring', 'no-such-rule'],
        tie: ['client_id'],
        summary: '{{ cause.summary }}',
      },
    ]);
    expect(bad).toThrow(/alerter\.incidents\.0 \(id=subspace-path\)\.rules: "no-such-rule" is not a rule/);
    expect(bad).toThrow(/\.tie: "client_id" is not a label of rule "subspace-stall"/);
    expect(bad).toThrow(/"ibc-client-expiring" is already a member of incident "ibc-relayer"/);
  });

  it('a user incident ties other rules; disabling the shipped one leaves its rules alone', () => {
    const set = loadRules(
      alerterConfig.parse({
        incidents: [
          { id: 'ibc-relayer', enabled: false },
          {
            id: 'wallet-path',
            rules: ['wallet-projected-empty', 'wallet-below-threshold'],
            tie: ['address'],
            wait: '2m',
            summary: '{{ cause.summary }} ({{ count }} alerts)',
          },
        ],
      }),
    );
    expect([...set.incidents.keys()]).toEqual(['wallet-path']);
    expect(set.rules.find((r) => r.id === 'ibc-client-expiring')!.incident).toBeUndefined();
    expect(set.rules.find((r) => r.id === 'wallet-below-threshold')!.incident).toEqual({
      id: 'wallet-path',
      tie: ['address'],
      waitMs: 120_000,
    });
  });
});

describe('an incident message', () => {
  const alert = (
    rule_id: string,
    labels: Record<string, string>,
    summary: string,
    at: string,
    value: number | null = null,
  ): Alert =>
    ({
      episode_id: `${rule_id}-${labels.client_id ?? labels.address}`,
      rule_id,
      source: 'cosmos-ibc',
      chain_id: 'cosmoshub-4',
      state: 'firing',
      severity: 'warning',
      labels,
      summary,
      description: '',
      value,
      started_at: at,
      fired_at: at,
      resolved_at: null,
      acked_by: null,
      acked_at: null,
      ack_note: null,
      mentions: [],
      links: [],
    }) as unknown as Alert;

  const NOW = Date.parse('2026-11-21T12:10:00.000Z');
  const path = { chain_id: 'cosmoshub-4', counterparty: 'osmosis-1' };
  // Clients measured at 12:00 with 9 h 10 m left: due at 21:10, 9 h from NOW.
  const clients = [0, 1, 2, 3, 7].map((i) =>
    alert(
      'ibc-client-expiry-imminent',
      { ...path, client_id: `07-tendermint-${i}` },
      `IBC client 07-tendermint-${i} on cosmoshub-4 expires in 9h 10m`,
      '2026-11-21T12:00:00.000Z',
      33_000 + i * 60,
    ),
  );
  const wallet = (left: number) =>
    alert(
      'wallet-projected-empty',
      { ...path, address: 'cosmos1abc' },
      'Wallet cosmos1abc on cosmoshub-4 will be empty in …',
      '2026-11-21T12:10:00.000Z',
      left,
    );

  it('the wallet due before the clients expire is the cause: both ETAs in one line', () => {
    const set = loadRules(alerterConfig.parse({}));
    const r = incidentOf(
      set.incidents,
      { incident: 'ibc-relayer', ...path },
      [...clients, wallet(4 * 3600)],
      NOW,
    );
    expect(r!.alerts[0]!.rule_id).toBe('wallet-projected-empty');
    expect(r!.incident).toEqual({
      id: 'ibc-relayer',
      summary:
        'clients 07-tendermint-0..3, 07-tendermint-7 expire in 9h; the relayer wallet cosmos1abc empties in 4h at the current burn rate',
    });
    // Not an incident group: nothing changes.
    expect(incidentOf(set.incidents, { rule: 'x' }, clients, NOW)).toBeNull();
  });

  it('a wallet that outlasts the clients is not the cause: the clients lead, the wallet goes last', () => {
    const set = loadRules(alerterConfig.parse({}));
    const r = incidentOf(
      set.incidents,
      { incident: 'ibc-relayer', ...path },
      [wallet(3 * 86_400), ...clients],
      NOW,
    );
    expect(r!.alerts.map((a) => a.rule_id)).toEqual([
      ...clients.map(() => 'ibc-client-expiry-imminent'),
      'wallet-projected-empty',
    ]);
    expect(r!.incident.summary).toBe(
      'IBC client 07-tendermint-0 on cosmoshub-4 expires in 9h 10m; also 5 alert(s) toward osmosis-1: clients 07-tendermint-1..3, 07-tendermint-7',
    );
  });

  it('without ETAs (no burn rate yet, or only expiring clients) the rank orders: the cause first, its summary first', () => {
    const set = loadRules(alerterConfig.parse({}));
    const noRate = { ...wallet(0), value: null };
    const r = incidentOf(set.incidents, { incident: 'ibc-relayer', ...path }, [...clients, noRate], NOW);
    expect(r!.alerts[0]!.rule_id).toBe('wallet-projected-empty');
    expect(r!.incident.summary).toBe(
      'Wallet cosmos1abc on cosmoshub-4 will be empty in …; also 5 alert(s) toward osmosis-1: clients 07-tendermint-0..3, 07-tendermint-7',
    );
  });

  it('an eta rule that is not a member is a config error naming the field', () => {
    expect(() =>
      loadRules(alerterConfig.parse({ incidents: [{ id: 'ibc-relayer', eta: ['ibc-client-stale'] }] })),
    ).toThrow(/alerter\.incidents \(id=ibc-relayer\)\.eta: "ibc-client-stale" is not one of its rules/);
  });
});
