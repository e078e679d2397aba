import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import type { EventEnvelope, Notification } from '@tocsin/events';
import { HarmonyAgent } from '@tocsin/harmony-agent';
import { type HarmonySignersConfig, harmonySignersService, signersOf } from '@tocsin/harmony-signers';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type HarmonySim, startHarmonySim } from '@tocsin/sim-harmony';
import { collect, eventually, freePort, type TestEnv, testEnv } from '@tocsin/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * harmony-signers acceptance, end to end with the real agent code: simulated Harmony nodes → agents (HTTP, bearer
 * tokens) → harmony-signers → NATS → alerter (shipped default rules) → notifications. One ManualClock drives all.
 */
const KEY = 'd4'.repeat(48);
const ALICE = 'discord:222222222222222222';
const BOB = 'slack:U0BOBE2E';
const quiet = { info() {}, warn() {}, error() {} };

interface Stack {
  env: TestEnv;
  clock: ManualClock;
  sim: HarmonySim;
  replicas: RunningService<HarmonySignersConfig>[];
  ports: number[];
  alerter: RunningService;
  handle: AlerterHandle;
  notifications: ReturnType<typeof collect<Notification>>;
  reports: ReturnType<typeof collect<EventEnvelope>>;
  agent(host: string, replica?: number, owner?: string): Promise<HarmonyAgent>;
  startReplica(i: number): Promise<void>;
  stop(): Promise<void>;
}

async function startStack(name: string, replicaCount = 1): Promise<Stack> {
  const env = await testEnv(name);
  const clock = new ManualClock(Date.parse('2026-12-03T18:00:00Z'));
  const dir = mkdtempSync(join(tmpdir(), 'hmy-e2e-'));
  const sim = await startHarmonySim({
    clock: () => clock.now(),
    scenario: {
      nodes: [
        { name: 'val-main', blskeys: [KEY], mode: 'Normal', is_backup: false },
        { name: 'val-backup', blskeys: [KEY], mode: 'Syncing', is_backup: true },
        // Another operator's node, claiming the same key (a copied key, or a mistyped one).
        { name: 'bob-node', blskeys: [KEY], mode: 'Syncing', is_backup: false },
      ],
    },
  });
  const nc = await env.nats();
  const notifications = collect<Notification>(nc, env.subjects.alerts());
  const reports = collect<EventEnvelope>(nc, `${env.prefix}.events.harmony-signers.signer_report`);
  await nc.flush();
  const ports: number[] = [];
  const replicas: RunningService<HarmonySignersConfig>[] = [];
  const startReplica = async (i: number) => {
    ports[i] ??= await freePort();
    replicas[i] = await startService(harmonySignersService, {
      // A fixed port, so the agents find a restarted replica where it was.
      env: { ...env.env, TOCSIN_HTTP_PORT: String(ports[i]) },
      clock,
      config: {
        ...env.config,
        instance: `replica-${i}`,
        harmony_signers: { sweep_interval: 0 },
      },
    });
  };
  for (let i = 0; i < replicaCount; i++) await startReplica(i);
  let ready: AlerterHandle | undefined;
  const alerter = await startService(createAlerterService({ onReady: (h) => (ready = h) }), {
    argv: [],
    env: env.env,
    clock,
    config: {
      ...env.config,
      alerter: { tick_interval: 0, rules: [{ id: 'service-silent', enabled: false }] },
    },
  });
  const tokenFiles = new Map<string, string>();
  for (const owner of [ALICE, BOB]) {
    const created = await signersOf(replicas[0]!.ctx).tokens.create(owner, 'e2e');
    const file = join(dir, `token-${tokenFiles.size}`);
    writeFileSync(file, created.token);
    chmodSync(file, 0o600);
    tokenFiles.set(owner, file);
  }
  const agents: HarmonyAgent[] = [];
  return {
    env,
    clock,
    sim,
    replicas,
    ports,
    alerter,
    handle: ready!,
    notifications,
    reports,
    startReplica,
    async agent(host, replica = 0, owner = ALICE) {
      const a = new HarmonyAgent(
        {
          node_url: sim.nodeUrl(host),
          service_url: `http://127.0.0.1:${ports[replica]}`,
          token_file: tokenFiles.get(owner)!,
          hostname: host,
          validator_address: 'one1e2evalidator',
          interval: 15_000,
          buffer_dir: join(dir, `buffer-${host}`),
          buffer_max: 1000,
          request_timeout: 10_000,
          max_backoff: 60_000,
        },
        { now: () => clock.now(), log: quiet },
      );
      agents.push(a);
      return a;
    },
    async stop() {
      notifications.stop();
      reports.stop();
      await alerter.stop();
      for (const r of replicas) await r?.stop();
      await sim.close();
      await env.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Lets the alerter apply everything received and run its timers, without moving the clock. */
async function settle(s: Stack) {
  const nc = await s.env.nats();
  const jsm = await jetstreamManager(nc);
  await eventually(
    async () => {
      const info = await jsm.consumers.info(s.env.subjects.streams.events, 'alerter');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    30_000,
    'the alerter to apply every event',
  );
  await s.handle.idle();
  await s.handle.tick();
  await nc.flush();
}

const doubleSign = (s: Stack) =>
  s.notifications.items.filter(
    (n) => n.transition === 'firing' && n.alerts.some((a) => a.rule_id === 'harmony-double-sign-risk'),
  );

describe('harmony-signers end to end', () => {
  let s: Stack | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it("two agents, the backup switches to Normal with the main's key → critical alert within 5 s of its report", async () => {
    s = await startStack('hmy_e2e');
    const main = await s.agent('val-main');
    const backup = await s.agent('val-backup');
    for (const a of [main, backup]) {
      await a.collect();
      expect(await a.deliver()).toBe('delivered');
    }
    await settle(s);
    expect(doubleSign(s)).toHaveLength(0);

    s.clock.advance(15_000);
    await main.collect();
    await main.deliver();
    s.sim.set('val-backup', { mode: 'Normal' });
    await backup.collect();
    const wallStart = Date.now();
    expect(await backup.deliver()).toBe('delivered');
    // The report's arrival on the service's (injected) clock.
    const arrival = await eventually(
      () =>
        s!.reports.items.find(
          (e) =>
            (e.data as { hostname: string; mode: string }).hostname === 'val-backup' &&
            e.data.mode === 'Normal',
        ),
      30_000,
      "the backup's Normal report",
    );
    // No injected time passes from here: the alert must not need any.
    await eventually(
      async () => {
        await settle(s!);
        return doubleSign(s!).length > 0;
      },
      30_000,
      'the double-sign risk notification',
    );
    const [n] = doubleSign(s);
    const receivedAt = Date.parse((arrival!.data as { received_at: string }).received_at);
    expect(Date.parse(n!.created_at) - receivedAt).toBeLessThanOrEqual(5_000);
    expect(n).toMatchObject({ severity: 'critical', source: 'harmony-signers', transition: 'firing' });
    expect(n!.alerts[0]!.labels).toMatchObject({ bls_key: KEY, subscriber: ALICE });
    expect(n!.mentions).toContain(ALICE);
    expect(n!.alerts[0]!.description).toContain('val-backup (Normal), val-main (Normal)');
    console.info(
      `double-sign alert ${Date.now() - wallStart} ms (wall clock, loaded machine) after the report was sent`,
    );
  });

  it("two owners' agents claim one key: each owner is alerted, each with their own side only", async () => {
    s = await startStack('hmy_owners');
    const main = await s.agent('val-main');
    const bob = await s.agent('bob-node', 0, BOB);
    s.sim.set('bob-node', { mode: 'Normal' });
    for (const a of [main, bob]) {
      await a.collect();
      expect(await a.deliver()).toBe('delivered');
    }
    await eventually(
      async () => {
        await settle(s!);
        return doubleSign(s!).length >= 2;
      },
      30_000,
      'a double-sign notification per owner',
    );
    const byOwner = new Map(doubleSign(s).map((n) => [n.alerts[0]!.labels.subscriber, n]));
    expect([...byOwner.keys()].sort()).toEqual([ALICE, BOB].sort());
    const alice = byOwner.get(ALICE)!;
    const bobs = byOwner.get(BOB)!;
    expect(alice.mentions).toEqual([ALICE]);
    expect(bobs.mentions).toEqual([BOB]);
    expect(alice.alerts).toHaveLength(1);
    expect(alice.alerts[0]!.description).toContain('val-main (Normal)');
    expect(alice.alerts[0]!.description).toContain('1 other operator(s) also report this key');
    expect(JSON.stringify(alice)).not.toContain('bob-node');
    expect(bobs.alerts[0]!.description).toContain('bob-node (Normal)');
    expect(JSON.stringify(bobs)).not.toContain('val-main');
  });

  it('service down for 2 minutes: the buffered reports arrive afterwards, in order, nothing lost', async () => {
    s = await startStack('hmy_outage');
    const main = await s.agent('val-main');
    await main.collect();
    expect(await main.deliver()).toBe('delivered');
    await s.replicas[0]!.stop();
    for (let i = 0; i < 8; i++) {
      s.clock.advance(15_000);
      await main.collect();
      expect(await main.deliver()).not.toBe('delivered');
    }
    expect(main.buffer.size).toBe(8);
    await s.startReplica(0);
    // The agent goes on at its pace; its backoff (up to 60 s here) decides when it tries again.
    let cycles = 0;
    let result = 'retry_later';
    while (result !== 'delivered' && cycles < 6) {
      s.clock.advance(15_000);
      await main.collect();
      result = await main.deliver();
      cycles++;
    }
    expect(result).toBe('delivered');
    expect(main.buffer.size).toBe(0);
    const db = new pg.Client({ connectionString: s.env.databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ reported_at: Date; buffered: boolean }>(
      `SELECT reported_at, buffered FROM ${s.env.schema}.harmony_reports WHERE hostname = 'val-main' ORDER BY id`,
    );
    await db.end();
    // Every report taken (one before, 8 during the outage, `cycles` after), in the order taken, none missing.
    expect(rows).toHaveLength(1 + 8 + cycles);
    const times = rows.map((r) => r.reported_at.getTime());
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(Array(8 + cycles).fill(15_000));
    expect(rows.slice(1, 9).every((r) => r.buffered)).toBe(true);
  });

  it('two service replicas behind one NATS: the double-sign alert is notified once', async () => {
    s = await startStack('hmy_replicas', 2);
    s.sim.set('val-backup', { mode: 'Normal' });
    const main = await s.agent('val-main', 0);
    const backup = await s.agent('val-backup', 1);
    for (let round = 0; round < 4; round++) {
      await Promise.all([main.collect(), backup.collect()]);
      await Promise.all([main.deliver(), backup.deliver()]);
      await settle(s);
      s.clock.advance(15_000);
    }
    await settle(s);
    expect(doubleSign(s)).toHaveLength(1);
  });
});
