import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { cosmosIbc } from '@tocsin/events';
import { createPool } from '@tocsin/store';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPublisher, provisionConsumer, provisionStreams } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
let env: TestEnv;

beforeAll(async () => {
  env = await testEnv('crash');
});
afterAll(async () => env.cleanup());

function startConsumer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'ledger-consumer.ts')], {
    env: env.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    // Accumulated: a line may arrive split across two chunks.
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`consumer exited early (${code})`)));
  });
}

it('kill -9 of a consumer mid-batch: after restart every message took effect exactly once', async () => {
  const N = 3000;
  const nc = await env.nats();
  await provisionStreams(nc, env.subjects);
  await provisionConsumer(await jetstreamManager(nc), {
    stream: env.subjects.streams.events,
    durable: 'ledger',
    filterSubject: env.subjects.events('cosmos-ibc'),
    ackWaitMs: 2000,
  });
  const pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 2 });
  await pool.query('CREATE TABLE ledger_totals (n bigint NOT NULL, total bigint NOT NULL)');
  await pool.query('INSERT INTO ledger_totals VALUES (0, 0)');
  await pool.query('CREATE TABLE ledger_log (event_id text NOT NULL)');

  const p = createPublisher({ nc, subjects: env.subjects, instance: 'crash' });
  let expectedTotal = 0;
  for (let i = 0; i < N; i++) {
    const amount = (i % 97) + 1;
    expectedTotal += amount;
    await p.publish(cosmosIbc.walletBalance, {
      chain_id: 'c',
      dedup_key: `m${i}`,
      data: {
        address: 'cosmos1abc',
        denom: 'uatom',
        display_denom: 'ATOM',
        amount: String(amount),
        display_amount: amount / 1e6,
        burn_per_hour: null,
        projected_empty_at: null,
        projected_empty_s: null,
        subscribers: [],
      },
    });
  }

  const first = await startConsumer();
  const countNow = async () => Number((await pool.query('SELECT n FROM ledger_totals')).rows[0].n);
  await eventually(async () => (await countNow()) > 200, 30_000, 'the consumer to make progress');
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = await countNow();
  expect(atKill).toBeLessThan(N);

  const second = await startConsumer();
  await eventually(async () => (await countNow()) >= N, 60_000, 'all messages applied');
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));

  const totals = (await pool.query('SELECT n, total FROM ledger_totals')).rows[0];
  expect(Number(totals.n)).toBe(N);
  expect(Number(totals.total)).toBe(expectedTotal);
  const dupes = await pool.query('SELECT event_id FROM ledger_log GROUP BY event_id HAVING count(*) > 1');
  expect(dupes.rowCount).toBe(0);
  await pool.end();
});
