import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rulesCheckCmd } from '@tocsin/cli/ops/replay';
import { isConfigError, loadConfig } from '@tocsin/runtime';
import { afterAll, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { alerterConfig } from '../../services/alerter/src/config.ts';
import { loadRules } from '../../services/alerter/src/rules/loadRules.ts';
import { cleanEnv } from '../support/processes.ts';

// `tocsin rules check` explains what the config does beyond its rules — maintenance windows (times in words, next
// occurrences in their zone), flap settings, escalation ladders, incidents — and refuses bad ones with the
// alerter's own messages (its config schema and rule loader, run in its replay process).
const dir = mkdtempSync(join(tmpdir(), 'tocsin-rules-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULE = {
  id: 'big-client-gap',
  match: { source: 'cosmos-ibc', type: 'client_status' },
  condition: { threshold: "status == 'Active' && elapsed_s > hours(100)" },
  severity: 'warning',
  labels: { client_id: '{{ client_id }}' },
  summary: 'client {{ client_id }} has not been updated for {{ elapsed_s | duration }}',
  flap: { window: '30m', max_transitions: 4 },
};

const CONFIG = {
  alerter: {
    rules: [RULE],
    maintenance: [
      {
        name: 'zurich-upgrades',
        weekly: { days: ['tue'], start: '14:00', end: '15:00' },
        timezone: 'Europe/Zurich',
        matchers: [
          { name: 'chain_id', value: 'osmosis-1' },
          { name: 'rule', op: '=~', value: 'ibc-.*' },
        ],
        reason: 'node upgrades',
      },
      {
        name: 'nightly',
        cron: '30 2 * * *',
        duration: '45m',
        timezone: 'America/New_York',
        matchers: [{ name: 'source', value: 'subspace-blocks' }],
      },
      {
        name: 'migration',
        starts_at: '2026-03-21T08:00:00Z',
        ends_at: '2026-03-21T12:00:00Z',
        timezone: 'Asia/Tokyo',
        matchers: [{ name: 'instance', value: 'hub-a' }],
      },
    ],
    escalation_policies: [
      {
        name: 'critical-ibc',
        severity: 'critical',
        matchers: [{ name: 'source', value: 'cosmos-ibc' }],
        steps: [
          { notify: 'role:oncall' },
          { wait: '10m' },
          { notify: ['discord:111111111111111111'], notify_by: 'telegram' },
          { wait: '30m' },
          { repeat: 2 },
        ],
      },
    ],
    incidents: [
      {
        id: 'endpoint-and-gap',
        rules: ['cosmos-ibc-endpoint-errors', 'big-client-gap'],
        tie: ['chain_id'],
        summary: '{{ cause.summary }}',
      },
    ],
  },
};

function file(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(doc));
  return path;
}

async function check(config: string, at?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await rulesCheckCmd(config, {
    ...(at ? { at } : {}),
    databaseUrl: inject('databaseUrl'),
    env: cleanEnv(),
    print: (l) => out.push(l),
    printError: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

it('explains maintenance windows in words, with their next occurrences in their zone (across a DST change)', async () => {
  const r = await check(file('ok.yaml', CONFIG), '2026-03-20T00:00:00Z');
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const zurich = r.out.slice(r.out.indexOf('  zurich-upgrades'), r.out.indexOf('  nightly'));
  expect(zurich).toContain('Tuesdays 14:00–15:00, Europe/Zurich time');
  expect(zurich).toContain('mutes alerts whose labels match all of: chain_id=osmosis-1 rule=~ibc-.*');
  expect(zurich).toContain('reason: node upgrades');
  // Europe moves to summer time on 29 March 2026: 14:00 local stays 14:00 (CET, then CEST).
  expect(zurich).toContain('next: Tue 24 Mar 2026, 14:00 CET → Tue 24 Mar 2026, 15:00 CET');
  expect(zurich).toContain('next: Tue 31 Mar 2026, 14:00 CEST → Tue 31 Mar 2026, 15:00 CEST');
  expect(zurich).toContain('next: Tue 7 Apr 2026, 14:00 CEST');
  expect(r.out).toContain('each time the cron pattern "30 2 * * *" matches in America/New_York, for 45m');
  expect(r.out).toContain('next: Fri 20 Mar 2026, 02:30 GMT-4 → Fri 20 Mar 2026, 03:15 GMT-4');
  expect(r.out).toContain('once, Sat 21 Mar 2026, 17:00 GMT+9 → Sat 21 Mar 2026, 21:00 GMT+9');
  expect(r.out).toContain('alerts inside it are recorded, not notified; one summary is posted when it ends');
});

it('a one-off window that is over says so (the time counts from --at)', async () => {
  const r = await check(file('ok-later.yaml', CONFIG), '2026-04-01T00:00:00Z');
  expect(r.code).toBe(0);
  const migration = r.out.slice(r.out.indexOf('  migration'), r.out.indexOf('flap suppression'));
  expect(migration).toContain('over: it mutes nothing any more');
});

it('explains flap settings, the escalation ladder step by step and the incidents', async () => {
  const r = await check(file('ok2.yaml', CONFIG), '2026-03-20T00:00:00Z');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(
    /rule big-client-gap\n\s+more than 4 changes \(fires or resolves\) within 30m: held as flapping/,
  );
  expect(r.out).toContain('back to normal notifications once it has not changed for 30m');
  expect(r.out).toMatch(
    /critical-ibc\n\s+for critical alerts whose labels match all of: source=cosmos-ibc, once notified:\n\s+1\. notify role:oncall\n\s+2\. wait 10m\n\s+3\. notify discord:111111111111111111 by telegram only\n\s+4\. wait 30m\n\s+then the ladder again, 2 more times/,
  );
  expect(r.out).toContain('stops as soon as the alert is acknowledged or resolved');
  // Only rules of that severity and source: not a critical Harmony rule.
  const climbers = r.out.split('\n').find((l) => l.includes('rules that may climb it'))!;
  expect(climbers).toContain('ibc-client-expired');
  expect(climbers).not.toContain('harmony');
  expect(r.out).toMatch(
    /endpoint-and-gap\n\s+alerts with the same chain_id \(none empty\) become one incident/,
  );
  expect(r.out).toContain('the cause named first: cosmos-ibc-endpoint-errors; then big-client-gap');
  expect(r.out).toMatch(
    /ibc-relayer\n\s+alerts with the same chain_id and counterparty .*\n\s+member rules, likely cause first: wallet-projected-empty, /,
  );
  expect(r.out).toContain(
    'a member with an ETA (wallet-projected-empty, ibc-client-expiry-imminent) is the cause only when it is due before the others',
  );
  expect(r.out).toContain(
    'context: an alert of cosmos-chain-stalled joins every incident whose counterparty is its chain_id (any chain_id): once announced (it keeps its own message) it is listed first, as the cause, while it fires',
  );
  expect(r.out).toContain(
    'context: an alert of cosmos-ibc-endpoint-errors joins every incident whose counterparty',
  );
});

it('bad windows, flap settings, ladders and incidents: exit 1 with the messages the alerter gives at start', async () => {
  const bad = {
    alerter: {
      rules: [
        { ...RULE, flap: { window: '30m', max_transitions: 0 } },
        { ...RULE, id: 'notice-flap', mode: 'notice', flap: { window: '5m', max_transitions: 2 } },
      ],
      maintenance: [
        { ...CONFIG.alerter.maintenance[0], timezone: 'Europe/Zurch' },
        { ...CONFIG.alerter.maintenance[1], cron: '61 2 * * *' },
      ],
      escalation_policies: [
        { name: 'p', steps: [{ notify: 'role:oncall', notify_by: 'pager' }] },
        { name: 'r', steps: [{ repeat: 2 }, { notify: 'role:oncall' }] },
        { name: 'q', steps: [{ wait: '5m' }] },
      ],
      incidents: [
        {
          id: 'x',
          rules: ['cosmos-ibc-endpoint-errors', 'no-such-rule'],
          tie: ['address'],
          summary: '{{ cause.summary }}',
        },
        { id: 'ibc-relayer', context: [{ rule: 'cosmos-chain-stalled', map: { counterparty: 'network' } }] },
      ],
    },
  };
  const path = file('bad.yaml', bad);
  const r = await check(path);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  // What the alerter says at start: its section's schema first, then its rules and incidents.
  let expected: string[] = [];
  try {
    const cfg = loadConfig({ file: path, env: {}, section: { name: 'alerter', schema: alerterConfig } });
    loadRules(cfg.section as never, { source: path });
  } catch (err) {
    if (!isConfigError(err)) throw err;
    expected = err.message.split('\n').slice(1);
  }
  expect(expected.length).toBeGreaterThan(3);
  for (const line of expected) expect(r.err).toContain(line.trim());
  expect(r.err).toMatch(/alerter\.maintenance\.0\.timezone: unknown time zone "Europe\/Zurch"/);
  expect(r.err).toMatch(/alerter\.maintenance\.1\.cron: /);
  expect(r.err).toMatch(/alerter\.escalation_policies\.1\.steps\.0\.repeat: repeat must be the last step/);
  expect(r.err).toMatch(/alerter\.escalation_policies\.0\.steps\.0\.notify_by\.0: unknown notifier "pager"/);
  expect(r.err).toMatch(/alerter\.escalation_policies\.2\.steps: a ladder needs at least one notify/);

  // The schema passes; the rules and incidents do not.
  const r2 = await check(
    file('bad2.yaml', { alerter: { rules: bad.alerter.rules, incidents: bad.alerter.incidents } }),
  );
  expect(r2.code).toBe(1);
  expect(r2.err).toMatch(/alerter\.rules\.0 \(id=big-client-gap\): flap\.max_transitions: /);
  expect(r2.err).toMatch(/alerter\.rules\.1 \(id=notice-flap\): flap: only an alert rule can flap/);
  expect(r2.err).toMatch(/alerter\.incidents\.0 \(id=x\)\.rules: "no-such-rule" is not a rule/);
  expect(r2.err).toMatch(/\(id=x\)\.tie: "address" is not a label of rule "cosmos-ibc-endpoint-errors"/);
  expect(r2.err).toMatch(
    /\(id=ibc-relayer\)\.context\.0\.map\.counterparty: "network" is not a label of rule "cosmos-chain-stalled"/,
  );
});

it('a lease the stream cannot deduplicate is refused as at start', async () => {
  const r = await check(
    file('lease.yaml', { nats: { duplicate_window: '10s' }, alerter: { outbox_lease: '6s' } }),
  );
  expect(r.code).toBe(1);
  expect(r.err).toContain('alerter.outbox_lease: must be at most half of nats.duplicate_window (10 s)');
});
