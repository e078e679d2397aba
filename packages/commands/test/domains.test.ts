import { formatMatchers, subjects as subjectsFor } from '@tocsin/events';
import { describe, expect, it } from 'vitest';
import { type Caller, checkWalletAddress, parseMatcher } from '../src/index.ts';
import {
  ADMIN,
  ALICE,
  BOB,
  base,
  client,
  env,
  nc,
  OSMO_WALLET,
  registry,
  rpc,
  run,
  state,
  useDomainRpc,
  WALLET,
} from './domainsHarness.ts';
import { AT, sampleAlert } from './domainsRpc.ts';

// The chat commands of every domain against stand-in RPC servers; the wallet commands are in walletCommands.test.ts.
useDomainRpc('commands-domains');

describe('$data', () => {
  it('lists clients with status and time to expiry, in pages', async () => {
    state.clients = Array.from({ length: 23 }, (_, i) => client(i));
    state.clients[0] = client(0, { remaining_s: 10_361, elapsed_ratio: 41_439 / 51_800 });
    state.clients[1] = client(1, { status: 'Expired', remaining_s: -3600, elapsed_ratio: 1.07 });
    const r = await run('$data');
    expect(r.pages).toHaveLength(3);
    expect(r.pages![0]!.title).toBe('IBC clients (page 1/3)');
    expect(r.pages![2]!.fields).toHaveLength(3);
    expect(r.text).toContain('23 clients on 1 chain · 0 past 80% · 1 expired');
    expect(r.fields![0]).toEqual({
      name: '🟢 cosmoshub-4 · 07-tendermint-0 → osmosis-1',
      value: 'Active · **2h 52m left** · 80% of 14h 23m · updated 2026-11-21 12:00 UTC',
    });
    expect(r.fields![1]!.value).toBe(
      'Expired · expired 1h ago · 107% of 14h 23m · updated 2026-11-21 12:00 UTC',
    );
    expect(r.fields![1]!.name.startsWith('🔴')).toBe(true);
  });

  it('marks the clients past the warning ratio configured in the alerter, not a fixed 80%', async () => {
    state.params = { ibc_expiry_warning_ratio: 0.7 };
    state.clients = [
      client(0, { elapsed_ratio: 0.72 }),
      client(1, { elapsed_ratio: 0.69 }),
      client(2, { status: 'Expired', elapsed_ratio: 1.2 }),
    ];
    const r = await run('$data');
    expect(r.text).toContain('3 clients on 1 chain · 1 past 70% · 1 expired');
    expect(r.fields!.map((f) => [...f.name][0])).toEqual(['🟠', '🟢', '🔴']);
    expect(rpc.bodies('alerter.params')).toEqual([{}]);

    state.params = { ibc_expiry_warning_ratio: 0.9 };
    const higher = await run('$data');
    expect(higher.text).toContain('0 past 90%');
    expect(higher.fields!.map((f) => [...f.name][0])).toEqual(['🟢', '🟢', '🔴']);
  });

  it('still lists clients when the alerter does not answer, and says the warnings are not marked', async () => {
    state.params = null;
    state.clients = [client(0, { elapsed_ratio: 0.95 })];
    const r = await run('$data');
    expect(r.text).toContain('1 client on 1 chain · expiry warnings not marked (the alerter did not answer)');
    expect(r.fields![0]!.name.startsWith('🟢')).toBe(true);
  });

  it('filters by chain and by status (a status may come first)', async () => {
    state.clients = [client(0), client(1, { chain_id: 'osmosis-1', status: 'Expired' })];
    await run('$data osmosis-1');
    await run('$data expired');
    await run('$data cosmoshub-4 active');
    expect(rpc.bodies('cosmos-ibc.clients')).toEqual([
      { chain_id: 'osmosis-1' },
      { status: 'expired' },
      { chain_id: 'cosmoshub-4', status: 'active' },
    ]);
  });

  it('answers an unknown chain with the list of known chains', async () => {
    const r = await run('$data juno-1');
    expect(r.kind).toBe('usage');
    expect(r.text).toBe(
      'tocsin does not watch `juno-1`. Known chains: `cosmoshub-4` (Cosmos Hub), `osmosis-1` (Osmosis).',
    );
  });

  it('answers a bad status and too many arguments with the usage', async () => {
    const bad = await run('$data cosmoshub-4 sleepy');
    expect(bad.kind).toBe('usage');
    expect(bad.text).toContain('`status` must be one of active, expired, frozen, unknown, unsupported');
    expect(bad.text).toContain('Usage: `$data [chain_id] [status]`');
    const extra = await run('$data a b c');
    expect(extra.text).toContain('Too many arguments');
  });

  it('says so when no scan has finished yet', async () => {
    state.scannedAt = null;
    expect((await run('$data')).text).toBe('No scan has finished yet; try again in a few minutes.');
  });

  it('says the ingestor is not answering instead of failing', async () => {
    const nowhere = { nc, subjects: subjectsFor(`${env.prefix}_none`), caller: ALICE };
    const r = await registry.run(registry.parse('$data')!, nowhere);
    expect(r).toMatchObject({
      kind: 'error',
      text: expect.stringContaining('cosmos-ibc ingestor is not answering'),
    });
  });
});

describe('$alerts and $ack', () => {
  it('lists firing alerts with their ids', async () => {
    state.alerts.push(
      sampleAlert({
        episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9W',
        severity: 'critical',
        summary: 'client expires in 3h',
        acknowledged: { by: 'discord:200', at: AT },
      }),
    );
    const r = await run('$alerts');
    expect(r.text).toBe('2 firing alerts (1 critical). Acknowledge with `$ack <id>`.');
    expect(r.fields![1]).toEqual({
      name: '🔴 client expires in 3h',
      value:
        'cosmoshub-4 · critical · since 2026-11-21 12:00 UTC · id `01JD4Y7ZKQ3M8V2N5P6R7S8T9W` · acked by `discord:200`',
    });
    await run('$alerts resolved');
    await run('$alerts osmosis-1');
    expect(rpc.bodies('alerter.alerts').slice(1)).toEqual([
      { state: 'resolved', limit: 200, include_suppressed: false },
      { state: 'firing', chain_id: 'osmosis-1', limit: 200, include_suppressed: false },
    ]);
  });

  it('acknowledges by id or fingerprint as the caller', async () => {
    const r = await run('$ack 01jd4y7zkq3m8v2n5p6r7s8t9v relayer restarted');
    expect(r.title).toBe('Acknowledged');
    expect(rpc.bodies('alerter.ack')).toEqual([
      {
        by: 'discord:100',
        is_admin: false,
        episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9V',
        note: 'relayer restarted',
      },
    ]);
    state.alerts[0]!.acknowledged = null;
    await run('$ack fp-1');
    expect(rpc.bodies('alerter.ack')[1]).toMatchObject({ fingerprint: 'fp-1' });
  });

  it('names an unknown alert and shows the usage without an id', async () => {
    expect((await run('$ack 01JD4Y7ZKQ3M8V2N5P6R7S8T00')).text).toContain('No open alert has the id');
    expect((await run('$ack')).text).toContain('Usage: `$ack <id> [note]`');
  });
});

describe('$silence, $silences, $unsilence', () => {
  it('silences matchers for a duration given first or last', async () => {
    const r = await run('$silence 2h chain_id=cosmoshub-4 severity=~warn.*');
    expect(r.title).toBe('Silenced');
    expect(r.text).toBe(
      '🔕 Alerts matching `chain_id=cosmoshub-4 severity=~warn.*` are silenced until 2026-11-21 14:00 UTC.',
    );
    await run('$silence client_id!="07-tendermint-0" 1d');
    expect(rpc.bodies('alerter.silence')).toEqual([
      {
        by: 'discord:100',
        is_admin: false,
        matchers: [
          { name: 'chain_id', op: '=', value: 'cosmoshub-4' },
          { name: 'severity', op: '=~', value: 'warn.*' },
        ],
        duration_s: 7200,
        reason: 'from discord by alice',
      },
      {
        by: 'discord:100',
        is_admin: false,
        matchers: [{ name: 'client_id', op: '!=', value: '07-tendermint-0' }],
        duration_s: 86_400,
        reason: 'from discord by alice',
      },
    ]);
  });

  it('explains what is wrong with bad silences', async () => {
    const cases: [string, string][] = [
      ['$silence 2h', 'Missing `matchers`'],
      ['$silence chain_id=x', 'Missing `matchers`'],
      ['$silence chain_id=x severity=warning', 'Missing the duration.'],
      ['$silence 2h 3h chain_id=x', 'Give one duration, not several.'],
      ['$silence soon chain_id=x', '`soon` is neither a duration'],
      ['$silence 2h chain-id=x', '`chain-id=x` is not a matcher'],
      ['$silence 2h severity=~(warn', '`severity=~(warn`: bad regular expression'],
      ['$silence 400d chain_id=x', 'at most 366 days'],
      ['$silence 1h forbidden_label=x', 'The alerter refused it: matchers.0.name: not allowed.'],
    ];
    for (const [line, problem] of cases) {
      const r = await run(line);
      expect(r.kind, line).toBe('usage');
      expect(r.text, line).toContain(problem);
      expect(r.text, line).toContain('Usage: `$silence <duration> <matchers>`');
    }
    expect(rpc.bodies('alerter.silence')).toHaveLength(1);
  });

  it('lists silences and ends one (its author or an admin only)', async () => {
    await run('$silence 2h chain_id=cosmoshub-4');
    const id = state.silences[0]!.id;
    expect((await run('$silences')).fields![0]).toEqual({
      name: 'chain_id=cosmoshub-4',
      value: `until 2026-11-21 14:00 UTC · by \`discord:100\` · id \`${id}\``,
    });
    expect((await run(`$unsilence ${id}`, BOB)).title).toBe('Not yours');
    expect((await run(`$unsilence ${id}`)).title).toBe('Silence ended');
    expect((await run(`$unsilence ${id}`)).title).toBe('No such silence');
    expect((await run('$silences')).text).toBe('No active silences.');
  });
});

describe('$help', () => {
  it('lists every domain command and explains one', async () => {
    const all = await run('$help');
    expect(all.fields!.map((f) => f.name.split(' ')[0])).toEqual([
      '$ack',
      '$alerts',
      '$consumers',
      '$data',
      '$deregister',
      '$harmony',
      '$help',
      '$maintenance',
      '$recheck',
      '$register',
      '$silence',
      '$silences',
      '$subscribe',
      '$subscriptions',
      '$subspace',
      '$token',
      '$unsilence',
      '$unsubscribe',
      '$wallets',
    ]);
    const one = await run('$help register');
    expect(one.text).toContain('Usage: `$register <wallet> <chain_id> <threshold>`');
    expect(one.text).toContain('display units');
    expect((await run('$help nope')).title).toBe('Unknown command');
  });
});

describe('autocomplete', () => {
  const complete = (name: string, arg: string, partial: string, caller: Caller = ALICE) =>
    registry.get(name)!.complete!(base(caller), arg, partial);

  it('offers chain ids, statuses, wallets and alert ids', async () => {
    expect(await complete('register', 'chain_id', 'osmosis')).toEqual([
      { name: 'osmosis-1 (Osmosis)', value: 'osmosis-1' },
    ]);
    expect(await complete('data', 'status', 'ex')).toEqual([{ name: 'expired', value: 'expired' }]);
    expect((await complete('wallets', 'chain_id', '')).map((c) => c.value)).toEqual([
      'mine',
      'cosmoshub-4',
      'osmosis-1',
    ]);
    expect(await complete('ack', 'id', '01JD')).toEqual([
      { name: `${state.alerts[0]!.summary} (cosmoshub-4)`, value: state.alerts[0]!.episode_id },
    ]);
    expect((await complete('help', 'command', 'der')).map((c) => c.value)).toEqual(['deregister']);
  });

  it('offers only the caller’s own wallets to deregister (all of them to an admin)', async () => {
    await run(`$register ${WALLET} cosmoshub-4 2`, ALICE);
    await run(`$register ${OSMO_WALLET} osmosis-1 2`, BOB);
    expect(await complete('deregister', 'wallet', '')).toEqual([
      { name: `${WALLET} (cosmoshub-4)`, value: WALLET },
    ]);
    expect((await complete('deregister', 'wallet', '', ADMIN)).map((c) => c.value)).toEqual([
      WALLET,
      OSMO_WALLET,
    ]);
  });
});

describe('parsing helpers', () => {
  it('checks bech32 addresses and matchers', () => {
    expect(checkWalletAddress(WALLET.toUpperCase())).toMatchObject({
      ok: true,
      address: WALLET,
      prefix: 'cosmos',
    });
    expect(checkWalletAddress('Cosmos1abc')).toMatchObject({ ok: false });
    expect(parseMatcher('severity=~warn.*')).toEqual({
      ok: true,
      matcher: { name: 'severity', op: '=~', value: 'warn.*' },
    });
    expect(parseMatcher('x')).toMatchObject({ ok: false });
  });

  it('formats matchers so that each one reads back through parseMatcher', () => {
    const ms = [
      { name: 'chain_id', op: '=', value: 'osmosis-1' },
      { name: 'rule', op: '=~', value: 'ibc-.*' },
      { name: 'reason', op: '!=', value: 'planned upgrade' },
      { name: 'owner', op: '!~', value: '' },
    ] as const;
    const text = formatMatchers(ms);
    expect(text).toBe('chain_id=osmosis-1 rule=~ibc-.* reason!="planned upgrade" owner!~""');
    const words = text.match(/\S+="[^"]*"|\S+~"[^"]*"|\S+/g)!;
    expect(words.map((w) => parseMatcher(w))).toEqual(ms.map((matcher) => ({ ok: true, matcher })));
  });
});
