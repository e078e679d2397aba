import type { NatsConnection } from '@nats-io/transport-node';
import { serveRpc } from '@tocsin/bus';
import { icsCcvRpc } from '@tocsin/events';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, type CommandReply, defaultCommands } from '../src/index.ts';

const ALICE: Caller = { owner: 'discord:100', isAdmin: false, platform: 'discord', displayName: 'alice' };
const registry = defaultCommands();
let env: TestEnv;
let nc: NatsConnection;
let answer: Record<string, unknown>;
const requests: Record<string, unknown>[] = [];

const consumer = (over: Record<string, unknown>) => ({
  consumer_id: '0',
  chain_id: 'consumer-1',
  name: 'Consumer One',
  phase: 'INITIALIZED',
  spawn_time: '2026-12-02T00:00:00Z',
  spawn_in_s: 7_200,
  opted_in: 2,
  ours_opted_in: false,
  ours_key_assigned: null,
  ...over,
});

beforeAll(async () => {
  env = await testEnv('commands-ics');
  nc = await env.nats();
  serveRpc({
    nc,
    subject: env.subjects.rpc('ics-ccv', 'consumers'),
    schema: icsCcvRpc.consumers.request,
    handler: async (req) => {
      requests.push(req);
      return answer;
    },
  });
});
afterAll(async () => env.cleanup());

async function run(line: string): Promise<CommandReply> {
  const parsed = registry.parse(line);
  if (!parsed) throw new Error(`not a command: ${line}`);
  return registry.run(parsed, { nc, subjects: env.subjects, caller: ALICE });
}

describe('$consumers', () => {
  it('lists phase, spawn countdown and our duty', async () => {
    answer = {
      provider_chain_id: 'provider-1',
      available: true,
      height: 1234,
      our_validator: 'cosmosvaloper1bob',
      consumers: [
        consumer({}),
        consumer({
          consumer_id: '1',
          chain_id: 'consumer-2',
          phase: 'LAUNCHED',
          spawn_in_s: -60,
          ours_opted_in: true,
          ours_key_assigned: true,
        }),
        consumer({ consumer_id: '2', chain_id: 'consumer-3', ours_opted_in: true, ours_key_assigned: false }),
      ],
    };
    const r = await run('$consumers');
    expect(r.text).toBe('3 consumers on provider-1 at height 1234 · 2 need action from cosmosvaloper1bob');
    expect(r.fields?.map((f) => `${f.name} | ${f.value}`)).toEqual([
      '⏳ consumer-1 (id 0) · Consumer One | INITIALIZED · spawns in **2h** · 2 opted in · **ours not opted in**',
      '🟢 consumer-2 (id 1) · Consumer One | LAUNCHED · 2 opted in · ours opted in',
      '⏳ consumer-3 (id 2) · Consumer One | INITIALIZED · spawns in **2h** · 2 opted in · **ours: no consumer key**',
    ]);
  });

  it('passes a phase filter and refuses an unknown phase with the usage', async () => {
    answer = {
      provider_chain_id: 'provider-1',
      available: true,
      height: 1,
      our_validator: null,
      consumers: [],
    };
    expect((await run('$consumers launched')).text).toBe('No consumers in phase launched on provider-1.');
    expect(requests.at(-1)).toEqual({ phase: 'launched' });
    const bad = await run('$consumers flying');
    expect(bad.kind).toBe('usage');
    expect(bad.text).toMatch(/phase.*must be one of registered, initialized, launched, stopped, deleted/);
  });

  it('says when the chain has no provider module', async () => {
    answer = {
      provider_chain_id: 'cosmoshub-4',
      available: false,
      height: 5,
      our_validator: null,
      consumers: [],
    };
    expect((await run('$consumers')).text).toBe('cosmoshub-4 has no ICS provider module: nothing to list.');
  });

  it('appears in $help', async () => {
    const help = await run('$help');
    expect(JSON.stringify(help)).toContain('consumers');
  });
});
