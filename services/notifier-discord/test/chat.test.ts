import type { CommandOptions, DiscordMessage, UserSpec } from '@tocsin/chat-fakes';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AT,
  type DomainState,
  defaultState,
  serveDomainRpc,
} from '../../../packages/commands/test/domainsRpc.ts';
import { ALICE, BOB, type Harness, ROOT, startHarness } from './harness.ts';

const WALLET = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';

let env: TestEnv;
let h: Harness;
let state: DomainState;
let rpc: ReturnType<typeof serveDomainRpc>;

beforeAll(async () => {
  env = await testEnv('discord-chat');
  h = await startHarness(env);
  state = defaultState();
  rpc = serveDomainRpc(h.nc, env.subjects, state);
});
afterAll(async () => {
  rpc?.stop();
  await h?.stop();
  await env.cleanup();
});
// One set of rpc servers for the file (a server replaced between tests could still be handed a request), with
// its state reset in place before each test.
beforeEach(() => {
  Object.assign(state, defaultState());
  rpc.calls.length = 0;
  state.clients = Array.from({ length: 25 }, (_, i) => ({
    chain_id: 'cosmoshub-4',
    client_id: `07-tendermint-${i}`,
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    status: 'Active',
    trusting_period_s: 51_800,
    remaining_s: 20_000 + i,
    elapsed_ratio: 0.6,
    last_update: AT,
  }));
  state.wallets = [
    {
      chain_id: 'cosmoshub-4',
      address: WALLET,
      denom: 'uatom',
      display_denom: 'ATOM',
      display_amount: 12.5,
      projected_empty_s: null,
      observed_at: AT,
    },
  ];
});

const rolesOf = (user: UserSpec) => (user === ROOT ? [h.roles.admin] : []);

/** A user types a text command; resolves with the bot's reply to it. */
async function say(content: string, user: UserSpec = ALICE): Promise<DiscordMessage> {
  const sent = h.fake.dispatchMessageCreate({
    channel_id: h.channels.alerts,
    content,
    author: user,
    member: { roles: rolesOf(user) },
  });
  return eventually(
    () => h.fake.messages(h.channels.alerts).find((m) => m.message_reference?.message_id === sent.id),
    10_000,
    `a reply to "${content}"`,
  ) as Promise<DiscordMessage>;
}

/** A user runs a slash command; resolves with the bot's answer (callback type 4 = reply). */
async function slash(name: string, options: CommandOptions = {}, user: UserSpec = ALICE) {
  const i = h.fake.dispatchInteraction({
    type: 'command',
    channelId: h.channels.alerts,
    user,
    member: { roles: rolesOf(user) },
    name,
    options,
  });
  return i.response;
}

const textOf = (embeds: unknown) => JSON.stringify(embeds);

/**
 * Each command with good arguments and with bad ones, as a text command and as a slash command:
 * [text line, slash options, what the answer says]. Slash commands cannot get type errors or extra words
 * (Discord checks options), so their bad cases are the semantic ones; `null` where there is none.
 */
const CASES: {
  name: string;
  good: [string, CommandOptions, string];
  bad: [string, string, CommandOptions | null, string];
}[] = [
  {
    name: 'data',
    good: ['$data cosmoshub-4', { chain_id: 'cosmoshub-4' }, 'IBC clients (page 1/3)'],
    bad: [
      '$data cosmoshub-4 sleepy',
      '`status` must be one of',
      { chain_id: 'cosmoshub-4', status: 'sleepy' },
      '`status` must be one of',
    ],
  },
  {
    name: 'consumers',
    good: ['$consumers', {}, 'ours not opted in'],
    bad: ['$consumers flying', '`phase` must be one of', { phase: 'flying' }, '`phase` must be one of'],
  },
  {
    name: 'wallets',
    good: ['$wallets', {}, WALLET],
    bad: [
      '$wallets juno-1',
      'tocsin does not watch `juno-1`. Known chains: `cosmoshub-4`',
      { chain_id: 'juno-1' },
      'Known chains',
    ],
  },
  {
    name: 'register',
    good: [
      `$register ${WALLET} cosmoshub-4 2`,
      { wallet: WALLET, chain_id: 'cosmoshub-4', threshold: 2 },
      'falls below **2 ATOM**',
    ],
    bad: [
      `$register ${WALLET} cosmoshub-4 -1`,
      '`threshold` must be greater than 0',
      { wallet: WALLET, chain_id: 'cosmoshub-3', threshold: 2 },
      'tocsin does not watch `cosmoshub-3`',
    ],
  },
  {
    name: 'deregister',
    good: [`$deregister ${WALLET}`, { wallet: WALLET }, '1 registration removed'],
    bad: ['$deregister', 'Missing `wallet`', { wallet: 'cosmos1nothere' }, 'There is no registration of'],
  },
  {
    name: 'harmony',
    good: ['$harmony', {}, 'No agent has reported with one of your tokens yet'],
    bad: ['$harmony now', 'Too many arguments', null, ''],
  },
  {
    name: 'token',
    good: ['$token list', { action: 'list' }, 'You have no tokens'],
    bad: ['$token', 'Missing `action`', { action: 'bogus' }, '`action` must be one of new, list, revoke'],
  },
  {
    name: 'alerts',
    good: ['$alerts', {}, '1 firing alerts'],
    bad: ['$alerts a b', 'Too many arguments', null, ''],
  },
  {
    name: 'ack',
    good: ['$ack 01JD4Y7ZKQ3M8V2N5P6R7S8T9V', { id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9V' }, 'Acknowledged'],
    bad: ['$ack', 'Missing `id`', { id: '01JD4Y7ZKQ3M8V2N5P6R7S8T00' }, 'No open alert has the id'],
  },
  {
    name: 'silence',
    good: [
      '$silence 2h chain_id=cosmoshub-4',
      { duration: '2h', matchers: 'chain_id=cosmoshub-4' },
      'silenced until',
    ],
    bad: [
      '$silence 2h chain-id',
      'is neither a duration',
      { duration: 'soon', matchers: 'chain_id=x' },
      '`soon` is neither a duration',
    ],
  },
  {
    name: 'silences',
    good: ['$silences', {}, 'No active silences.'],
    bad: ['$silences now', 'Too many arguments', null, ''],
  },
  {
    name: 'maintenance',
    good: ['$maintenance list', { spec: 'list' }, 'No maintenance windows.'],
    bad: [
      '$maintenance tue chain_id=x',
      'A weekly window needs days and a time range',
      { spec: 'tue chain_id=x' },
      'A weekly window needs days and a time range',
    ],
  },
  {
    name: 'unsilence',
    good: ['$unsilence', {}, 'is no longer silenced'],
    bad: ['$unsilence', 'Missing `id`', { id: 'nope' }, 'No silence has the id `nope`'],
  },
  {
    name: 'subscribe',
    good: ['$subscribe cosmoshub-4 hourly', { target: 'cosmoshub-4', cadence: 'hourly' }, 'digest an hour'],
    bad: [
      '$subscribe a weekly',
      'must be immediate, hourly or daily',
      { target: 'osmosis-1', cadence: 'daily', time: '09:00', timezone: '<@1>' },
      '`timezone` must be an IANA time zone like Europe/Zurich',
    ],
  },
  {
    name: 'unsubscribe',
    good: ['$unsubscribe osmosis-1', { target: 'osmosis-1' }, 'No more alerts of `osmosis-1`'],
    bad: ['$unsubscribe juno-1', 'no subscription to `juno-1`', { target: 'a b' }, 'must be a chain id'],
  },
  {
    name: 'subscriptions',
    good: ['$subscriptions', {}, 'chain `cosmoshub-4`: hourly'],
    bad: ['$subscriptions now', 'Too many arguments', null, ''],
  },
  {
    name: 'recheck',
    good: ['$recheck cosmoshub-4', { chain_id: 'cosmoshub-4' }, 're-checked'],
    bad: ['$recheck a b c', 'Too many arguments', { chain_id: 'juno-1' }, 'Known chains'],
  },
  {
    name: 'subspace',
    good: ['$subspace', {}, 'Subspace autonomys-mainnet'],
    bad: ['$subspace now', 'Too many arguments', null, ''],
  },
  {
    name: 'help',
    good: ['$help register', { command: 'register' }, 'Usage: `$register <wallet> <chain_id> <threshold>`'],
    bad: [
      '$help frobnicate',
      'There is no `$frobnicate`',
      { command: 'frobnicate' },
      'There is no `$frobnicate`',
    ],
  },
];

describe('commands, as text and as slash commands', () => {
  it('registers every command as a guild slash command, required options first', () => {
    const names = h.fake.commands(h.guild.id).map((c) => c.name);
    expect(names.sort()).toEqual(CASES.map((c) => c.name).sort());
    const register = h.fake.commands(h.guild.id).find((c) => c.name === 'register')!;
    expect(register.options).toEqual([
      {
        name: 'wallet',
        description: 'the wallet address (cosmos1…)',
        required: true,
        autocomplete: true,
        type: 3,
      },
      { name: 'chain_id', description: 'the chain it lives on', required: true, autocomplete: true, type: 3 },
      {
        name: 'threshold',
        description: 'alert below this balance, in display units (2 = 2 ATOM)',
        required: true,
        type: 10,
      },
    ]);
  });

  for (const c of CASES) {
    it(`${c.name}: good and bad arguments`, async () => {
      /** What must exist for the good case, and its arguments. */
      const arrange = async (): Promise<[string, CommandOptions]> => {
        if (c.name === 'deregister') await say(`$register ${WALLET} cosmoshub-4 2`);
        if (c.name === 'unsubscribe') await say('$subscribe osmosis-1 daily');
        if (c.name === 'subscriptions') await say('$subscribe cosmoshub-4 hourly');
        if (c.name === 'unsilence') {
          await say('$silence 1h chain_id=x');
          const id = state.silences.at(-1)!.id;
          return [`$unsilence ${id}`, { id }];
        }
        return [c.good[0], c.good[1]];
      };
      const goodText = c.good[2];
      const [badLine, badText, badOptions, badSlashText] = c.bad;

      const [goodLine] = await arrange();
      const good = await say(goodLine);
      expect(textOf(good.embeds)).toContain(goodText);
      const bad = await say(badLine);
      expect(textOf(bad.embeds)).toContain(badText);

      const [, goodOptions] = await arrange();
      const goodSlash = await slash(c.name, goodOptions);
      expect(goodSlash.type).toBe(4);
      expect(textOf(goodSlash.data?.embeds)).toContain(goodText);
      if (badOptions) {
        const badSlash = await slash(c.name, badOptions);
        expect(textOf(badSlash.data?.embeds)).toContain(badSlashText);
      }
    });
  }

  it('$token new answers only privately: the slash command (ephemeral), never a message in the channel', async () => {
    const before = state.harmonyTokens.length;
    const text = await say('$token new servers');
    expect(textOf(text.embeds)).toContain('Use `/token`');
    expect(textOf(text.embeds)).not.toContain('tocsin_hmy_');
    expect(state.harmonyTokens).toHaveLength(before);
    const slashed = await slash('token', { action: 'new', arg: 'servers' });
    expect(slashed.data?.flags).toBe(64);
    expect(textOf(slashed.data?.embeds)).toContain('tocsin_hmy_secret');
    expect(state.harmonyTokens).toHaveLength(before + 1);
  });

  it('refuses $deregister of a wallet someone else registered; an admin role may', async () => {
    await say(`$register ${WALLET} cosmoshub-4 2`, ALICE);
    const refused = await say(`$deregister ${WALLET}`, BOB);
    expect(textOf(refused.embeds)).toContain(
      `Only the user who registered \`${WALLET}\`, or an admin, can deregister it.`,
    );
    const slashRefused = await slash('deregister', { wallet: WALLET }, BOB);
    expect(slashRefused.data?.flags).toBe(64);
    expect(state.subscriptions).toHaveLength(1);
    expect(rpc.bodies('alerter.unsubscribe')[0]).toEqual({
      by: `discord:${BOB.id}`,
      is_admin: false,
      kind: 'wallet',
      target: WALLET,
    });
    const admin = await slash('deregister', { wallet: WALLET }, ROOT);
    expect(textOf(admin.data?.embeds)).toContain('Deregistered');
    expect(rpc.bodies('alerter.unsubscribe')[2]).toMatchObject({ by: `discord:${ROOT.id}`, is_admin: true });
    expect(state.subscriptions).toEqual([]);
  });

  it('subscribes the caller as owner with $register (threshold in display units)', async () => {
    await say(`$register ${WALLET} cosmoshub-4 2.5`, BOB);
    expect(rpc.bodies('alerter.subscribe')).toEqual([
      { owner: `discord:${BOB.id}`, kind: 'wallet', target: WALLET, chain_id: 'cosmoshub-4', threshold: 2.5 },
    ]);
  });

  it('answers an unknown command and type errors with the usage, and ignores what is not a command', async () => {
    expect(textOf((await say('$frobnicate')).embeds)).toContain('There is no `$frobnicate`');
    expect(textOf((await say(`$register ${WALLET} cosmoshub-4 lots`)).embeds)).toContain(
      '`threshold` must be a number, got \\"lots\\"',
    );
    const before = h.fake.messages(h.channels.alerts).length;
    h.fake.dispatchMessageCreate({ channel_id: h.channels.alerts, content: 'data please', author: ALICE });
    await say('$help');
    // Only the `$help` and its reply were added: plain chat got no answer.
    expect(h.fake.messages(h.channels.alerts).length).toBe(before + 3);
  });

  it('pages a long listing with buttons that re-run the command', async () => {
    const reply = await say('$data');
    const next = (reply.components as { components: { custom_id: string; disabled?: boolean }[] }[])[0]!
      .components;
    expect(next.map((b) => b.custom_id)).toEqual(['pg:0:data', 'pg:1:data']);
    const click = h.fake.dispatchInteraction({
      type: 'button',
      channelId: h.channels.alerts,
      user: BOB,
      messageId: reply.id,
      customId: 'pg:1:data',
    });
    expect((await click.response).type).toBe(7);
    const updated = h.fake.messages(h.channels.alerts).find((m) => m.id === reply.id)!;
    expect(textOf(updated.embeds)).toContain('IBC clients (page 2/3)');
    expect(textOf(updated.embeds)).toContain('07-tendermint-10');
  });

  it('autocompletes chain ids and the caller’s wallets', async () => {
    const chain = await h.fake.dispatchInteraction({
      type: 'autocomplete',
      channelId: h.channels.alerts,
      user: ALICE,
      name: 'register',
      options: { wallet: '', chain_id: 'osmosis' },
      focused: 'chain_id',
    }).response;
    expect(chain).toMatchObject({
      type: 8,
      data: { choices: [{ name: 'osmosis-1 (Osmosis)', value: 'osmosis-1' }] },
    });
    await say(`$register ${WALLET} cosmoshub-4 2`, ALICE);
    const wallets = await h.fake.dispatchInteraction({
      type: 'autocomplete',
      channelId: h.channels.alerts,
      user: ALICE,
      name: 'deregister',
      options: { wallet: 'cosmos1' },
      focused: 'wallet',
    }).response;
    expect(wallets.data?.choices).toEqual([{ name: `${WALLET} (cosmoshub-4)`, value: WALLET }]);
  });
});
