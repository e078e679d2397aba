import type { NatsConnection } from '@nats-io/transport-node';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type Caller, type CommandContext, type CommandReply, defaultCommands } from '../src/index.ts';
import { AT, type DomainState, defaultState, serveDomainRpc } from './domainsRpc.ts';

export const ALICE: Caller = {
  owner: 'discord:100',
  isAdmin: false,
  platform: 'discord',
  displayName: 'alice',
};
export const BOB: Caller = { owner: 'discord:200', isAdmin: false, platform: 'discord', displayName: 'bob' };
export const ADMIN: Caller = {
  owner: 'discord:300',
  isAdmin: true,
  platform: 'discord',
  displayName: 'root',
};
export const WALLET = 'cosmos1hl79shte7pertyrf7yhfnr6zjy7l5cwsnlatjl';
export const OSMO_WALLET = 'osmo10dkcdfdl9sfvsm4eayyjqlsrkvn4qytnqwpyw3';

export let env: TestEnv;
export let nc: NatsConnection;
export let state: DomainState;
export let rpc: ReturnType<typeof serveDomainRpc>;
export const registry = defaultCommands();

/** The chat commands against stand-in alerter and cosmos-ibc RPC servers on the real bus, for one test file. */
export function useDomainRpc(name: string): void {
  beforeAll(async () => {
    env = await testEnv(name);
    nc = await env.nats();
    state = defaultState();
    rpc = serveDomainRpc(nc, env.subjects, state);
  });
  afterAll(async () => {
    rpc?.stop();
    await env.cleanup();
  });
  // One set of rpc servers for the file (a server replaced between tests could still be handed a request), with
  // its state reset in place before each test.
  beforeEach(() => {
    Object.assign(state, defaultState());
    rpc.calls.length = 0;
  });
}

export function base(caller: Caller = ALICE): Omit<CommandContext, 'args'> {
  return { nc, subjects: env.subjects, caller };
}

export async function run(line: string, caller: Caller = ALICE): Promise<CommandReply> {
  const parsed = registry.parse(line);
  if (!parsed) throw new Error(`not a command: ${line}`);
  return registry.run(parsed, base(caller));
}

export function client(i: number, over: Partial<DomainState['clients'][number]> = {}) {
  return {
    chain_id: 'cosmoshub-4',
    client_id: `07-tendermint-${i}`,
    client_type: '07-tendermint',
    counterparty_chain_id: 'osmosis-1',
    status: 'Active',
    trusting_period_s: 51_800,
    remaining_s: 10_000 + i * 100,
    elapsed_ratio: 0.5,
    last_update: AT,
    ...over,
  };
}
