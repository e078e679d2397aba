import { everyPhaseScenarioPath } from '@tocsin/sim-ics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { line, type Stack, startStack } from './stack.ts';

const LIFECYCLE = [
  'consumer_created',
  'consumer_updated',
  'consumer_phase_changed',
  'spawn_scheduled',
  'launch_failed',
  'consumer_removed',
  'opt_in',
  'opt_out',
  'key_assigned',
];

describe('every phase of a consumer, against the provider simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      name: 'ics-lifecycle',
      scenario: everyPhaseScenarioPath,
      section: { poll_interval: '24h' },
    });
    // Timeline of every-phase.yaml; the second number counts its Tx so far.
    const steps: [number, number][] = [
      [10, 1],
      [20, 2],
      [30, 3],
      [40, 4],
      [50, 5],
      [80, 5],
      [85, 5],
      [90, 6],
      [120, 6],
      [125, 6],
      [150, 7],
      [160, 8],
      [220, 8],
      [225, 8],
    ];
    for (const [t, tx] of steps) await stack.step(t, tx);
  }, 120_000);
  afterAll(async () => stack?.stop());

  it('reports exactly the expected sequence, silent and failed launches included', () => {
    const alice = stack.sim.validator('alice').consAddress.slice(-6);
    const bob = stack.sim.validator('bob').consAddress.slice(-6);
    expect(stack.ics(...LIFECYCLE).map(line)).toEqual([
      'consumer_created 0',
      'consumer_updated 0',
      'consumer_phase_changed 0 REGISTERED→INITIALIZED',
      'spawn_scheduled 0',
      `opt_in 0 ${alice}`,
      `key_assigned 0 ${alice}`,
      `opt_in 0 ${bob}`,
      `key_assigned 0 ${bob}`,
      'consumer_phase_changed 0 INITIALIZED→LAUNCHED',
      'consumer_created 1',
      'spawn_scheduled 1',
      'consumer_phase_changed 1 INITIALIZED→REGISTERED',
      'launch_failed 1',
      `opt_out 0 ${alice}`,
      'consumer_phase_changed 0 LAUNCHED→STOPPED',
      'consumer_removed 0',
      'consumer_phase_changed 0 STOPPED→DELETED',
    ]);
  });

  it('publishes each fact once (no dedup_key twice) and says how each was detected', () => {
    const keys = stack.ics().map((e) => `${e.type}:${e.dedup_key}`);
    expect(new Set(keys).size).toBe(keys.length);
    const changes = stack.ics('consumer_phase_changed').map((e) => e.data as Record<string, unknown>);
    // BeginBlock changes (launch, failed launch, deletion) can only be found by polling; REGISTERED → INITIALIZED
    // came with its MsgUpdateConsumer. (LAUNCHED → STOPPED may be seen by either: a spawn-time poll can race the Tx.)
    expect([0, 1, 2, 4].map((i) => changes[i]?.detected_by)).toEqual(['event', 'poll', 'poll', 'poll']);
    const failed = stack.ics('launch_failed')[0]!.data as Record<string, unknown>;
    expect(failed).toMatchObject({
      missed_spawn_time: '2026-12-01T00:02:00.000Z',
      spawn_time_now: '0001-01-01T00:00:00Z',
    });
    const created = stack.ics('consumer_created')[0]!;
    expect(created.dedup_key).toBe('0:created');
    expect(created.data).toMatchObject({
      phase: 'REGISTERED',
      detected_by: 'event',
      height: 1002,
      name: 'Consumer One',
    });
    expect(stack.ics('consumer_updated')[0]!.data).toMatchObject({
      phase: 'INITIALIZED',
      spawn_time: '2026-12-01T00:01:20.000Z',
      height: 1004,
    });
  });

  it('keeps the consumer contexts in PostgreSQL', async () => {
    const { rows } = await stack.services[0]!.ctx.pool.query<{
      consumer_id: string;
      phase: string;
      opted_in: string[];
    }>('SELECT consumer_id, phase, opted_in FROM ics_ccv_consumers ORDER BY consumer_id');
    expect(rows.map((r) => [r.consumer_id, r.phase, r.opted_in.length])).toEqual([
      ['0', 'DELETED', 0],
      ['1', 'REGISTERED', 0],
    ]);
  });
});
