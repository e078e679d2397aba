import type { EventEnvelope } from '@tocsin/events';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, BOB, KEY_A, KEY_B, report, type SignersStack, startSigners } from './support.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read nested JSON bodies
type Data = Record<string, any>;
const dataOf = (events: EventEnvelope[]) => events.map((e) => e.data as Data);

describe('harmony-signers detection', () => {
  let s: SignersStack | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it('a backup switching to Normal with the key the main signs with → double_sign_risk in that request; its end once', async () => {
    s = await startSigners('hs_double');
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    expect((await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), alice)).json.published).toEqual([
      'signer_report',
    ]);
    s.clock.advance(3_000);
    const quiet = await s.post(report(s.clock, 'val-backup', { mode: 'Syncing', backup: true }), alice);
    expect(quiet.json.published).toEqual(['signer_report']);
    s.clock.advance(5_000);
    const res = await s.post(report(s.clock, 'val-backup', { mode: 'Normal', backup: true }), alice);
    expect(res.status).toBe(202);
    // Published before the request answered: the alert's clock starts at this report.
    expect(res.json.published).toEqual(['signer_report', 'double_sign_risk', 'backup_mismatch']);
    const [risk] = dataOf(await s.stored('double_sign_risk'));
    expect(risk).toMatchObject({ bls_key: KEY_A, active: true, normal_hosts: 2, shard_id: 0 });
    expect(risk!.sides).toHaveLength(1);
    expect(risk!.sides[0]).toMatchObject({
      owner: ALICE,
      other_owners: 0,
      hosts_text: 'val-backup (Normal), val-main (Normal)',
    });
    expect(dataOf(await s.stored('backup_mismatch'))[0]).toMatchObject({
      kind: 'backup_signing',
      hostname: 'val-backup',
    });

    // Both keep reporting: the same fact, stored once.
    s.clock.advance(15_000);
    await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), alice);
    await s.post(report(s.clock, 'val-backup', { mode: 'Normal', backup: true }), alice);
    expect(await s.stored('double_sign_risk')).toHaveLength(1);

    s.clock.advance(15_000);
    const demoted = await s.post(report(s.clock, 'val-backup', { mode: 'Listening', backup: true }), alice);
    expect(demoted.json.published).toContain('double_sign_risk');
    s.clock.advance(15_000);
    await s.post(report(s.clock, 'val-backup', { mode: 'Listening', backup: true }), alice);
    const all = dataOf(await s.stored('double_sign_risk'));
    expect(all.map((d) => d.active)).toEqual([true, false]);
    expect(all[1]!.sides[0].owner).toBe(ALICE);
  });

  it('two owners claiming one key: each side holds only its own hosts', async () => {
    s = await startSigners('hs_owners');
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    const bob = (await s.signers.tokens.create(BOB, '')).token;
    await s.post(report(s.clock, 'alice-1', { keys: [KEY_A] }), alice);
    await s.post(report(s.clock, 'alice-2', { keys: [KEY_A, KEY_B], mode: 'Syncing' }), alice);
    await s.post(report(s.clock, 'bob-1', { keys: [KEY_A] }, { validator_address: 'one1bob' }), bob);
    const [risk] = dataOf(await s.stored('double_sign_risk'));
    expect(risk!.sides.map((x: Data) => x.owner)).toEqual([ALICE, BOB]);
    const [a, b] = risk!.sides;
    expect(a.hosts.map((h: Data) => h.hostname)).toEqual(['alice-1', 'alice-2']);
    expect(b.hosts.map((h: Data) => h.hostname)).toEqual(['bob-1']);
    expect(JSON.stringify(a)).not.toContain('bob');
    expect(JSON.stringify(b)).not.toContain('alice');
    expect([a.other_owners, b.other_owners]).toEqual([1, 1]);
  });

  it('only fresh reports count: a Normal host silent past the freshness window is not a second signer', async () => {
    s = await startSigners('hs_fresh', { freshness_window: '60s' });
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    await s.post(report(s.clock, 'val-old', { mode: 'Normal' }), alice);
    s.clock.advance(61_000);
    const res = await s.post(report(s.clock, 'val-new', { mode: 'Normal' }), alice);
    expect(res.json.published).toEqual(['signer_report', 'key_moved']);
    expect(await s.stored('double_sign_risk')).toHaveLength(0);
    expect(dataOf(await s.stored('key_moved'))[0]).toMatchObject({
      from_host: 'val-old',
      to_host: 'val-new',
      bls_key: KEY_A,
    });
  });

  it('key_not_signing when the key is Normal nowhere; node_unreachable instead of a report of keys', async () => {
    s = await startSigners('hs_notsigning');
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    const res = await s.post(report(s.clock, 'val-main', { mode: 'Syncing' }), alice);
    expect(res.json.published).toEqual(['signer_report', 'key_not_signing', 'backup_mismatch']);
    expect(dataOf(await s.stored('key_not_signing'))[0]).toMatchObject({
      owner: ALICE,
      active: true,
      hosts_text: 'val-main (Syncing)',
    });
    expect(dataOf(await s.stored('backup_mismatch'))[0]).toMatchObject({ kind: 'primary_not_signing' });
    const down = await s.post(
      report(s.clock, 'val-main', { error: 'connect ECONNREFUSED 127.0.0.1:9500' }),
      alice,
    );
    expect(down.json.published).toEqual(['signer_report', 'node_unreachable']);
    expect(dataOf(await s.stored('node_unreachable'))[0]).toMatchObject({
      reason: 'connect ECONNREFUSED 127.0.0.1:9500',
    });
    // Signing again: the end is published once (so a rule's `for` can cancel a pending alert).
    const back = await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), alice);
    expect(back.json.published).toEqual(['signer_report', 'key_not_signing']);
    s.clock.advance(15_000);
    expect((await s.post(report(s.clock, 'val-main', { mode: 'Normal' }), alice)).json.published).toEqual([
      'signer_report',
    ]);
    expect(dataOf(await s.stored('key_not_signing')).map((d) => d.active)).toEqual([true, false]);
  });

  it('agent_silent after 3 intervals, once per interval count however many sweeps and replicas', async () => {
    s = await startSigners('hs_silent', {}, 2);
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    await s.post(report(s.clock, 'val-main', {}), alice);
    s.clock.advance(44_000);
    expect(await s.signers.sweep()).toBe(0);
    s.clock.advance(2_000);
    expect(await s.signers.sweep()).toBe(1);
    const { signersOf } = await import('../src/index.ts');
    await signersOf(s.services[1]!.ctx).sweep();
    await s.signers.sweep();
    const silent = dataOf(await s.stored('agent_silent'));
    expect(silent).toHaveLength(1);
    expect(silent[0]).toMatchObject({ hostname: 'val-main', silent_s: 46, interval_s: 15, owner: ALICE });
    // Heard from again: no longer silent.
    await s.post(report(s.clock, 'val-main', {}), alice);
    expect(await s.signers.sweep()).toBe(0);
  });

  it('history older than history_retention is deleted; a report that old is refused (its nonce need not be kept)', async () => {
    s = await startSigners('hs_prune', { history_retention: '1h' });
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    const old = report(s.clock, 'val-main', {});
    expect((await s.post(old, alice)).status).toBe(202);
    s.clock.advance(30 * 60_000);
    expect((await s.post(report(s.clock, 'val-main', {}), alice)).status).toBe(202);
    s.clock.advance(31 * 60_000);
    expect(await s.signers.prune()).toBe(1);
    expect(await s.signers.prune()).toBe(0);
    const replay = await s.post(old, alice);
    expect(replay.status).toBe(422);
    expect(replay.json.message).toMatch(/history_retention/);
  });

  it('two replicas, the two reports at different replicas at once: the risk is published and stored once', async () => {
    s = await startSigners('hs_replicas', {}, 2);
    const alice = (await s.signers.tokens.create(ALICE, '')).token;
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        s.post(report(s.clock, 'val-a', { mode: 'Normal' }), alice, 0),
        s.post(report(s.clock, 'val-b', { mode: 'Normal' }), alice, 1),
      ]);
      s.clock.advance(5_000);
    }
    const risks = await s.stored('double_sign_risk');
    expect(risks).toHaveLength(1);
    expect((risks[0]!.data as Data).active).toBe(true);
  });
});
