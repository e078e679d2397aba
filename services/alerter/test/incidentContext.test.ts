import { type Alert, cosmosIbc } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alerterConfig } from '../src/config.ts';
import { contextLinks, contextPatterns } from '../src/incidents/context.ts';
import { incidentOf } from '../src/incidents/incidents.ts';
import { loadRules } from '../src/rules/loadRules.ts';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

/** Context members of an incident: the counterparty chain stalled, or its endpoint failing (incidents/context.ts). */

const alert = (rule_id: string, chain_id: string, labels: Record<string, string>, summary: string) =>
  ({
    episode_id: `${rule_id}:${chain_id}:${labels.client_id ?? labels.endpoint ?? ''}`,
    rule_id,
    source: 'cosmos-ibc',
    chain_id,
    state: 'firing',
    severity: 'critical',
    labels: { chain_id, ...labels },
    summary,
    description: '',
    value: rule_id === 'ibc-client-expiry-imminent' ? 32_400 : 720,
    started_at: '2026-11-21T12:00:00.000Z',
    fired_at: '2026-11-21T12:00:00.000Z',
    resolved_at: null,
    mentions: [],
    links: [],
  }) as unknown as Alert;

const NOW = Date.parse('2026-11-21T12:00:00.000Z');
const stalled = alert('cosmos-chain-stalled', 'osmosis-1', {}, 'osmosis-1 has not produced a block for 12m');
const endpoint = alert(
  'cosmos-ibc-endpoint-errors',
  'osmosis-1',
  { endpoint: 'https://rpc.osmo' },
  'Endpoint https://rpc.osmo of osmosis-1 keeps failing (3 errors in 35 minutes)',
);
const client = (chain: string, i: number, counterparty = 'osmosis-1') =>
  alert(
    'ibc-client-expiry-imminent',
    chain,
    { counterparty, client_id: `07-tendermint-${i}` },
    `IBC client 07-tendermint-${i} on ${chain} expires in 9h`,
  );

describe('incident context: membership', () => {
  const set = loadRules(alerterConfig.parse({}));
  const group = (chain: string, counterparty = 'osmosis-1') => ({
    incident: 'ibc-relayer',
    chain_id: chain,
    counterparty,
  });

  it('the shipped ibc-relayer takes the counterparty stalled or failing as context (counterparty ← chain_id)', () => {
    expect(set.incidents.get('ibc-relayer')!.context).toEqual([
      { rule: 'cosmos-chain-stalled', rank: 0, map: [['counterparty', 'chain_id']] },
      { rule: 'cosmos-ibc-endpoint-errors', rank: 1, map: [['counterparty', 'chain_id']] },
    ]);
    // A context rule keeps its own group: it is not a member.
    expect(set.rules.find((r) => r.id === 'cosmos-chain-stalled')!.incident).toBeUndefined();
    // One pattern per incident kind: chain_id is unmapped (any path toward osmosis-1).
    expect(contextPatterns(contextLinks(set.incidents), [stalled, endpoint])).toEqual([
      { incident: 'ibc-relayer', counterparty: 'osmosis-1' },
    ]);
  });

  it('a firing context alert is listed first, as the cause, in every incident toward its chain, and in no other', () => {
    const clients = [0, 1, 2, 5].map((i) => client('cosmoshub-4', i));
    const hub = incidentOf(set.incidents, group('cosmoshub-4'), clients, NOW, [endpoint, stalled]);
    expect(hub!.alerts.map((a) => a.rule_id)).toEqual([
      'cosmos-chain-stalled',
      'cosmos-ibc-endpoint-errors',
      ...clients.map((c) => c.rule_id),
    ]);
    expect(hub!.incident).toEqual({
      id: 'ibc-relayer',
      summary:
        'osmosis-1 has not produced a block for 12m; clients 07-tendermint-0..2, 07-tendermint-5 toward it expire in 9h',
      context: [stalled.episode_id, endpoint.episode_id],
    });
    // The same alert in a second incident (another chain's path toward osmosis-1).
    const juno = incidentOf(set.incidents, group('juno-1'), [client('juno-1', 3)], NOW, [stalled]);
    expect(juno!.incident.context).toEqual([stalled.episode_id]);
    expect(juno!.incident.summary).toBe(
      'osmosis-1 has not produced a block for 12m; clients 07-tendermint-3 toward it expire in 9h',
    );
    // A path toward another chain: not listed, the summary is the members' own.
    const other = incidentOf(
      set.incidents,
      group('cosmoshub-4', 'juno-1'),
      [client('cosmoshub-4', 9, 'juno-1')],
      NOW,
      [stalled],
    );
    expect(other!.alerts.map((a) => a.rule_id)).toEqual(['ibc-client-expiry-imminent']);
    expect(other!.incident).toEqual({
      id: 'ibc-relayer',
      summary: 'IBC client 07-tendermint-9 on cosmoshub-4 expires in 9h',
    });
  });
});

describe('incident context: configuration', () => {
  const load = (incidents: unknown[]) => () => loadRules(alerterConfig.parse({ incidents }));

  it('names every bad field: unknown rule, a member as context, a label the rule lacks, not a tie label, no mapping', () => {
    const bad = load([
      {
        id: 'ibc-relayer',
        context: [
          { rule: 'no-such-rule', map: { counterparty: 'chain_id' } },
          { rule: 'ibc-client-expiring', map: { counterparty: 'chain_id' } },
          { rule: 'cosmos-chain-stalled', map: { counterparty: 'network' } },
          { rule: 'cosmos-ibc-endpoint-errors', map: { path: 'endpoint' } },
          { rule: 'cosmos-ibc-scan-missing', map: {} },
          { rule: 'cosmos-chain-stalled', map: { counterparty: 'chain_id' } },
        ],
      },
    ]);
    const where = /alerter\.incidents \(id=ibc-relayer\)/.source;
    expect(bad).toThrow(new RegExp(`${where}\\.context\\.0\\.rule: "no-such-rule" is not a rule`));
    expect(bad).toThrow(
      new RegExp(`${where}\\.context\\.1\\.rule: "ibc-client-expiring" is a member of this incident`),
    );
    expect(bad).toThrow(
      new RegExp(
        `${where}\\.context\\.2\\.map\\.counterparty: "network" is not a label of rule "cosmos-chain-stalled"`,
      ),
    );
    expect(bad).toThrow(
      new RegExp(
        `${where}\\.context\\.3\\.map\\.path: not a tie label of the incident \\(tie: chain_id, counterparty\\)`,
      ),
    );
    expect(bad).toThrow(new RegExp(`${where}\\.context\\.4\\.map: maps no tie label`));
    expect(bad).toThrow(new RegExp(`${where}\\.context\\.5\\.rule: "cosmos-chain-stalled" is listed twice`));
    expect(load([{ id: 'ibc-relayer', context: [{ rule: 'x' }] }])).toThrow(
      /alerter\.incidents \(id=ibc-relayer\): context\.0\.map: /,
    );
    expect(
      load([
        {
          id: 'wallet-path',
          rules: ['wallet-projected-empty', 'wallet-below-threshold'],
          tie: ['address'],
          summary: '{{ cause.summary }}',
          context_summary: '{{ cause.summary }}',
        },
      ]),
    ).toThrow(/alerter\.incidents\.0 \(id=wallet-path\)\.context_summary: needs context/);
  });
});

let env: TestEnv;
let h: Harness;

describe('incident context: through the pipeline', () => {
  beforeAll(async () => {
    env = await testEnv('alerter-incident-context');
    h = await startAlerter(env);
  });
  afterAll(async () => {
    await h?.stop();
    await env.cleanup();
  });

  let scans = 0;
  const scanned = (chain: string, age: number | null, catching_up = false) =>
    h.publisher.publish(cosmosIbc.scanCompleted, {
      chain_id: chain,
      dedup_key: `${chain}:${h.clock.now()}:${++scans}`,
      data: {
        clients: 0,
        wallets: 0,
        errors: 0,
        skipped_expired: 0,
        duration_ms: 10,
        height: 100,
        latest_block_time: age === null ? null : new Date(h.clock.now() - age * 1000).toISOString(),
        block_age_s: age,
        catching_up,
      },
      observed_at: new Date(h.clock.now()),
    });
  const critical = { trusting: 46_800, elapsed: 41_400 };

  it('one stalled chain edits the incident of every path toward it, cause first; its resolve edits them back', async () => {
    await publishClient(h, 'cosmoshub-4', '07-tendermint-0', critical);
    await publishClient(h, 'cosmoshub-4', '07-tendermint-1', critical);
    await publishClient(h, 'juno-1', '07-tendermint-4', critical);
    await h.settle();
    await h.advance(30_000);
    const first = [...(await h.received())];
    expect(first.map((n) => `${n.transition}:${n.group.labels.chain_id}:${n.alerts.length}`).sort()).toEqual([
      'firing:cosmoshub-4:2',
      'firing:juno-1:1',
    ]);
    expect(first.every((n) => n.incident && !n.incident.context)).toBe(true);

    // osmosis-1 has not produced a block for 12 minutes.
    await scanned('osmosis-1', 720);
    await h.settle();
    await h.advance(30_000);
    const stall = (await h.received()).slice(first.length);
    const seen = first.length + stall.length;
    const own = stall.filter((n) => !n.incident);
    expect(own.map((n) => `${n.transition}:${n.alerts[0]!.rule_id}:${n.alerts[0]!.chain_id}`)).toEqual([
      'firing:cosmos-chain-stalled:osmosis-1',
    ]);
    expect(own[0]!.severity).toBe('critical');
    const stalledId = own[0]!.alerts[0]!.episode_id;
    const edits = stall.filter((n) => n.incident);
    // Both incidents, each its own group (so its own message), listing the members already announced.
    expect(edits.map((n) => n.group.key).sort()).toEqual(first.map((n) => n.group.key).sort());
    for (const e of edits) {
      expect(e.transition).toBe('firing');
      expect(e.incident!.context).toEqual([stalledId]);
      expect(e.alerts[0]!.episode_id).toBe(stalledId);
      expect(e.incident!.summary).toMatch(
        /^osmosis-1 has not produced a block for 12m; clients 07-tendermint-\S+ toward it expire in 1h 29m/,
      );
      expect(e.mentions).toEqual([]);
    }
    expect(edits.find((e) => e.group.labels.chain_id === 'cosmoshub-4')!.alerts).toHaveLength(3);
    // Its timeline says where it was listed.
    const { timeline } = await h.rpc<{ timeline: { kind: string; detail: Record<string, unknown> }[] }>(
      'alert',
      { id: stalledId },
    );
    expect(
      timeline
        .filter((t) => t.kind === 'notified' && t.detail.incident)
        .map((t) => t.detail.incident)
        .sort(),
    ).toEqual(edits.map((e) => e.group.key).sort());

    // A client of another path toward osmosis-1 fires later: its incident lists the stalled chain at once.
    await publishClient(h, 'stride-1', '07-tendermint-8', critical);
    await h.settle();
    await h.advance(30_000);
    const later = (await h.received()).slice(seen);
    expect(later).toHaveLength(1);
    expect(later[0]!.alerts.map((a) => a.rule_id)).toEqual([
      'cosmos-chain-stalled',
      'ibc-client-expiry-imminent',
    ]);

    // The chain produces blocks again: the stalled alert resolves, and the incidents no longer name it.
    await scanned('osmosis-1', 4);
    await h.settle();
    // Its group flushed a minute ago: the resolve waits for the group_interval (5 m).
    await h.advance(5 * 60_000);
    const back = (await h.received()).slice(seen + later.length);
    expect(back.filter((n) => !n.incident).map((n) => `${n.transition}:${n.alerts[0]!.rule_id}`)).toEqual([
      'resolved:cosmos-chain-stalled',
    ]);
    const unedited = back.filter((n) => n.incident);
    expect(unedited).toHaveLength(3);
    for (const e of unedited) {
      expect(e.incident!.context).toBeUndefined();
      expect(e.alerts.every((a) => a.rule_id === 'ibc-client-expiry-imminent')).toBe(true);
      expect(e.incident!.summary).toMatch(/^IBC client 07-tendermint-\d on \S+ expires in 1h 30m/);
    }
  });

  it('cosmos-chain-stalled: 10 minutes without a block; a scan without the block, or from a node catching up, changes nothing', async () => {
    const stalledOn = async (chain: string) =>
      (await h.rpc<{ alerts: Alert[] }>('alerts', { state: 'firing', limit: 100 })).alerts.filter(
        (a) => a.rule_id === 'cosmos-chain-stalled' && a.chain_id === chain,
      );
    await scanned('evmos-9', 599);
    await h.settle();
    expect(await stalledOn('evmos-9')).toEqual([]);
    await scanned('evmos-9', 600);
    await h.settle();
    expect((await stalledOn('evmos-9')).map((a) => [a.severity, a.value, a.summary])).toEqual([
      ['critical', 600, 'evmos-9 has not produced a block for 10m'],
    ]);
    // The height could not be read; then a node still syncing answered: neither says the chain moved.
    await scanned('evmos-9', null);
    await scanned('evmos-9', 2, true);
    await h.settle();
    expect(await stalledOn('evmos-9')).toHaveLength(1);
    await scanned('evmos-9', 2);
    await h.settle();
    expect(await stalledOn('evmos-9')).toEqual([]);
  });

  it('a silenced context alert is never announced, so no incident lists it', async () => {
    await h.rpc('silence', {
      by: 'discord:42',
      matchers: [
        { name: 'rule', value: 'cosmos-chain-stalled' },
        { name: 'chain_id', value: 'kujira-1' },
      ],
      duration_s: 3600,
    });
    await publishClient(h, 'cosmoshub-4', '07-tendermint-20', { ...critical, counterparty: 'kujira-1' });
    await h.settle();
    await h.advance(30_000);
    const before = (await h.received()).length;
    await scanned('kujira-1', 900);
    await h.settle();
    await h.advance(30_000);
    const stalled = (
      await h.rpc<{ alerts: Alert[] }>('alerts', { state: 'firing', limit: 100 })
    ).alerts.filter((a) => a.rule_id === 'cosmos-chain-stalled' && a.chain_id === 'kujira-1');
    expect(stalled).toHaveLength(1);
    // Recorded (firing), not notified, and no incident toward kujira-1 edited to name it.
    expect((await h.received()).slice(before)).toEqual([]);
  });
});
