import { callRpc } from '@tocsin/bus';
import { harmonySignersRpc } from '@tocsin/events';
import { afterAll, expect, it } from 'vitest';
import { ALICE, BOB, KEY_A, KEY_B, report, type SignersStack, startSigners } from './support.ts';

let s: SignersStack | undefined;
afterAll(async () => {
  await s?.stop();
});

it('answers the hosts RPC with every owner’s hosts (keys × hosts, modes, last report); signers stays per owner', async () => {
  s = await startSigners('hs_hosts_rpc');
  const alice = (await s.signers.tokens.create(ALICE, '')).token;
  const bob = (await s.signers.tokens.create(BOB, '')).token;
  await s.post(report(s.clock, 'val-main', { mode: 'Normal', keys: [KEY_A] }), alice);
  s.clock.advance(2_000);
  await s.post(report(s.clock, 'val-backup', { mode: 'Syncing', backup: true, keys: [KEY_A] }), alice);
  await s.post(report(s.clock, 'bob-1', { mode: 'Normal', keys: [KEY_B] }), bob);
  const nc = s.services[0]!.ctx.nc;
  const r = harmonySignersRpc.hosts.result.parse(
    await callRpc(nc, s.env.subjects.rpc('harmony-signers', 'hosts'), {}),
  );
  expect(r.keys).toEqual([KEY_A, KEY_B].sort());
  expect(r.hosts.map((h) => [h.hostname, h.owner, h.mode, h.is_backup, h.blskeys])).toEqual([
    ['bob-1', BOB, 'Normal', false, [KEY_B]],
    ['val-backup', ALICE, 'Syncing', true, [KEY_A]],
    ['val-main', ALICE, 'Normal', false, [KEY_A]],
  ]);
  expect(r.hosts.find((h) => h.hostname === 'val-main')!.last_report_at).toBe(
    new Date(s.clock.now() - 2_000).toISOString(),
  );
  // Chat's signers answers only the caller's own hosts.
  const mine = harmonySignersRpc.signers.result.parse(
    await callRpc(nc, s.env.subjects.rpc('harmony-signers', 'signers'), { owner: BOB }),
  );
  expect(mine.hosts.map((h) => h.hostname)).toEqual(['bob-1']);
});
