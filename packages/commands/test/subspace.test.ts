import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { serveRpc } from '@tocsin/bus';
import { subspaceBlocksRpc } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Caller, defaultCommands } from '../src/index.ts';

const ALICE: Caller = { owner: 'discord:100', isAdmin: false, platform: 'discord', displayName: 'alice' };
const hash = (c: string) => `0x${c.repeat(64)}`;

const STATUS: z.infer<typeof subspaceBlocksRpc.status.result> = {
  chain_id: 'autonomys-mainnet',
  nodes: [
    {
      node: 'ws://node-a:9944',
      primary: true,
      connected: true,
      best: { height: 120, hash: hash('a') },
      finalized: { height: 100, hash: hash('b') },
      peers: 12,
      off_best_chain: 0,
      error: null,
    },
    {
      node: 'ws://node-b:9944',
      primary: false,
      connected: false,
      best: { height: 110, hash: hash('c') },
      finalized: null,
      peers: null,
      off_best_chain: 7,
      error: 'disconnected',
    },
  ],
  best_tip: { height: 120, hash: hash('a') },
  finalized: { height: 100, hash: hash('b') },
  checked: { height: 120, hash: hash('a') },
  forks: [{ tip: { height: 110, hash: hash('c') }, fork_point: { height: 103, hash: hash('d') }, length: 7 }],
  tracked_blocks: 40,
  seconds_per_slot: 1.0123,
  active_farmers: 18,
  farmers_window_average: 19.5,
};

let env: TestEnv;
let nc: NatsConnection;
let sub: Subscription | undefined;
const registry = defaultCommands();

beforeAll(async () => {
  env = await testEnv('commands-subspace');
  nc = await env.nats();
});
afterAll(async () => {
  sub?.unsubscribe();
  await env.cleanup();
});

async function run(line: string) {
  const parsed = registry.parse(line);
  if (!parsed) throw new Error(`not a command: ${line}`);
  return registry.run(parsed, { nc, subjects: env.subjects, caller: ALICE });
}

describe('$subspace', () => {
  it('says the ingestor is not answering when it is not running', async () => {
    const reply = await run('$subspace');
    expect(reply.kind).toBe('error');
    expect(reply.text).toContain('subspace-blocks ingestor is not answering');
  });

  it('shows tips and forks per node, slot time and farmers from subspace-blocks.status', async () => {
    sub = serveRpc({
      nc,
      subject: env.subjects.rpc('subspace-blocks', 'status'),
      schema: subspaceBlocksRpc.status.request,
      handler: async () => STATUS,
    });
    const reply = await run('$subspace');
    expect(reply.kind).toBe('ok');
    expect(reply.title).toBe('Subspace autonomys-mainnet');
    const fields = Object.fromEntries((reply.fields ?? []).map((f) => [f.name, f.value]));
    expect(fields['🟢 ws://node-a:9944 (primary)']).toContain('best #120');
    expect(fields['🟢 ws://node-a:9944 (primary)']).toContain('12 peers');
    expect(fields['🔴 ws://node-b:9944']).toContain('**7 blocks off the best chain**');
    expect(fields['🔴 ws://node-b:9944']).toContain('disconnected');
    expect(fields.Forks).toContain('7 blocks from #103');
    expect(fields['Slot time']).toBe('1.012 s per slot');
    expect(fields.Farmers).toBe('18 active (average 19.5)');
    expect(registry.help('subspace').text).toContain('subspace');
  });
});
