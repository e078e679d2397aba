import { Writable } from 'node:stream';
import { type AlerterHandle, createAlerterService } from '@tocsin/alerter';
import { subjects } from '@tocsin/events';
import { createLogger, type RunningService, startService } from '@tocsin/runtime';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { walletSubscriptions } from '../../services/cosmos-ibc/src/subscriptionSource.ts';
import { type Stack, startStack } from '../../services/cosmos-ibc/test/stack.ts';

/**
 * Started together (`tocsin up`, compose), cosmos-ibc's first scan asks the alerter for wallet subscriptions
 * before the alerter serves RPC. It waits for it (bounded, saying so at info level) instead of warning at every
 * start; an alerter still silent after the wait is a warning.
 */
let s: Stack;
let alerter: RunningService | undefined;

beforeAll(async () => {
  s = await startStack({
    name: 'cosmos-ibc-startup',
    captureLogs: true,
    scenario: {
      chains: [
        {
          chain_id: 'start-1',
          generate_clients: { count: 2, seed: 2, counterparty_chain_ids: ['osmosis-1'] },
        },
      ],
    },
    section: {
      subscriptions_startup_wait: '60s',
      chains: [{ chain_id: 'start-1', rpc: ['sim:start-1'], denom: 'stake', display_denom: 'STAKE' }],
    },
  });
});
afterAll(async () => {
  await alerter?.stop();
  await s?.stop();
});

it('the first scan waits for an alerter that comes up a moment later, with no warning', async () => {
  const scanning = s.ingestor.scanOnce();
  await eventually(
    () =>
      s.logs.some((l) =>
        /^waiting up to \d+ s for the alerter to give wallet subscriptions/.test(String(l.msg)),
      ),
    20_000,
    'the line saying what the scan waits for',
  );
  let handle: AlerterHandle | undefined;
  alerter = await startService(createAlerterService({ onReady: (h) => (handle = h) }), {
    argv: [],
    env: s.env.env,
    clock: s.clock,
    config: {
      ...s.env.config,
      alerter: { tick_interval: 0, rules: [{ id: 'service-silent', enabled: false }] },
    },
  });
  expect(handle).toBeDefined();
  const [summary] = await scanning;
  expect(summary).toMatchObject({ chainId: 'start-1', clients: 2, errors: 0 });
  expect(s.logs.some((l) => l.msg === 'the alerter answered; first scan starts')).toBe(true);
  expect(s.logs.filter((l) => Number(l.level) >= 40)).toEqual([]);
});

it('an alerter still silent after the wait is a warning, and the last known subscriptions are used', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'cosmos-ibc',
    instance: 'test',
    level: 'debug',
    dest: new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  });
  const ctx = s.service.ctx;
  const r = await walletSubscriptions({
    state: { silent: false, answered: false, startedAt: Date.now() },
    startupWaitMs: 300,
    nc: ctx.nc,
    subjects: subjects(`${s.env.prefix}_no_alerter`),
    pool: ctx.pool,
    timeoutMs: 200,
    nowMs: s.clock.now(),
    log,
  });
  expect(r).toEqual({ subscriptions: [], fresh: false });
  expect(lines.map((l) => [l.level, l.msg])).toEqual([
    [30, expect.stringMatching(/^waiting up to 1 s for the alerter/)],
    [40, 'alerter did not give wallet subscriptions; using the last known ones'],
  ]);
});
