import { type Caller, defaultCommands } from '@tocsin/commands';
import { type HarmonySignersConfig, harmonySignersService } from '@tocsin/harmony-signers';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `$token` and `$harmony` against the real harmony-signers service over NATS RPC. */
const KEY = 'e5'.repeat(48);
const ALICE: Caller = { owner: 'discord:333333333333333333', isAdmin: false, platform: 'discord' };
const BOB: Caller = { owner: 'slack:U0BOB', isAdmin: false, platform: 'slack' };
const registry = defaultCommands();
let env: TestEnv;
let service: RunningService<HarmonySignersConfig>;
let nc: Awaited<ReturnType<TestEnv['nats']>>;
const clock = new ManualClock(Date.parse('2026-12-03T18:00:00Z'));

async function say(line: string, caller: Caller) {
  return registry.run(registry.parse(line)!, { nc, subjects: env.subjects, caller });
}
async function post(token: string, hostname: string, mode: string) {
  const res = await service.ctx.http.inject({
    method: 'POST',
    url: '/v1/harmony/reports',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: {
      nonce: `nonce-${hostname}-${mode}-${clock.now()}`,
      hostname,
      reported_at: new Date(clock.now()).toISOString(),
      node: { reachable: true, shard_id: 0, blskeys: [KEY], mode, is_backup: mode !== 'Normal' },
    },
  });
  return res.statusCode;
}

beforeAll(async () => {
  env = await testEnv('hmy_commands');
  nc = await env.nats();
  service = await startService(harmonySignersService, {
    env: env.env,
    clock,
    config: { ...env.config, harmony_signers: { sweep_interval: 0, token_cache_ttl: 0 } },
  });
});
afterAll(async () => {
  await service?.stop();
  await env?.cleanup();
});

describe('$token and $harmony', () => {
  it('creates a token shown once, lists it, the agent reports with it, $harmony shows keys × hosts, revoke stops it', async () => {
    const created = await say('$token new "validator servers"', ALICE);
    expect(created.title).toBe('Agent token created');
    expect(created.ephemeral).toBe(true);
    const token = /`(tocsin_hmy_[A-Za-z0-9_-]+)`/.exec(created.text!)![1]!;
    const id = /Id `(tok_[a-z0-9]+)`/.exec(created.text!)![1]!;
    const list = await say('$token list', ALICE);
    expect(list.fields!.map((f) => f.name)).toEqual([`🔑 ${id} · validator servers`]);
    expect(JSON.stringify(list)).not.toContain(token);
    expect((await say('$token list', BOB)).text).toContain('You have no tokens');

    expect(await post(token, 'val-main', 'Normal')).toBe(202);
    expect(await post(token, 'val-backup', 'Syncing')).toBe(202);
    const shown = await say('$harmony', ALICE);
    expect(shown.text).toBe('1 key on 2 hosts');
    expect(shown.fields![0]!.name).toBe(`${KEY.slice(0, 8)}…${KEY.slice(-6)} · 1 signing`);
    expect(shown.fields![0]!.value).toMatch(
      /🟡 val-backup: Syncing \(backup\) · 2026-12-03 18:00 UTC\n🟢 val-main: Normal · 2026-12-03 18:00 UTC/,
    );
    expect((await say('$harmony', BOB)).text).toContain('No agent has reported');

    const refused = await say(`$token revoke ${id}`, BOB);
    expect(refused).toMatchObject({ title: 'Refused', kind: 'error' });
    expect((await say(`$token revoke ${id}`, ALICE)).title).toBe('Token revoked');
    clock.advance(1_000);
    expect(await post(token, 'val-main', 'Normal')).toBe(401);
    expect((await say('$token list', ALICE)).fields![0]!.name).toContain('⛔');
  });
});

describe('tocsin harmony token', () => {
  it('new prints the token once, list shows it, revoke refuses it', async () => {
    const { harmonyToken } = await import('@tocsin/cli/harmony-token');
    const lines: string[] = [];
    const opts = { env: { ...env.env, TOCSIN_CONFIG: '' }, print: (l: string) => lines.push(l) };
    expect(await harmonyToken('new', { owner: 'discord:444444444444444444', label: 'cli' }, opts)).toBe(0);
    const token = lines[0]!;
    expect(token).toMatch(/^tocsin_hmy_/);
    const id = /# id (tok_[a-z0-9]+)/.exec(lines[1]!)![1]!;
    expect(await post(token, 'cli-host', 'Normal')).toBe(202);
    lines.length = 0;
    expect(await harmonyToken('list', { owner: 'discord:444444444444444444' }, opts)).toBe(0);
    expect(lines).toEqual([`${id}\tdiscord:444444444444444444\tactive\tcli`]);
    expect(await harmonyToken('revoke', { id }, opts)).toBe(0);
    clock.advance(1_000);
    expect(await post(token, 'cli-host', 'Normal')).toBe(401);
  });
});
