import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishClient } from './fixtures.ts';
import { type Harness, startAlerter } from './harness.ts';

// A burst's transitions are flushed from memory (grouping/fresh.ts): what is notified at once is stored in its final
// form, what waits for its group is stored pending, as the flush of rows read back would leave them.
let env: TestEnv;
let h: Harness;
const MIN = 60_000;
const HOUR = 60 * MIN;

beforeAll(async () => {
  env = await testEnv('alerter-fresh');
  h = await startAlerter(env, {
    defaults: {
      group_wait: 0,
      group_interval: '1m',
      priority_wait: 0,
      escalation: { mentions: ['role:oncall'] },
    },
    incidents: [{ id: 'ibc-relayer', enabled: false }],
  });
});
afterAll(async () => {
  await h?.stop();
  await env.cleanup();
});
beforeEach(() => {
  h.notifications.items.length = 0;
});

/**
 * 13 h trusting period, 1.5 h left: critical (repeat every hour, its escalation ladder starts at once); the warning
 * on the same client is outranked (suppressed: the flush writes the burst as pending rows and reads them back).
 */
const critical = (chain: string, client: string) =>
  publishClient(h, chain, client, { trusting: 46_800, elapsed: 41_400 });
const recovered = (chain: string, client: string) =>
  publishClient(h, chain, client, { trusting: 46_800, elapsed: 10, height: 900 });
const q = async (sql: string, args: unknown[] = []) => (await h.running.ctx.pool.query(sql, args)).rows;
const ms = (d: unknown) => (d === null ? null : (d as Date).getTime());

describe('a burst flushed from memory', () => {
  it('stores what it notifies as notified, and what waits for group_interval as pending', async () => {
    const t0 = h.clock.now();
    await critical('fresh-1', 'a');
    await h.settle();
    expect((await h.receivedOn('fresh-1')).map((n) => n.transition)).toEqual(['firing']);
    const [ep] = await q(
      `SELECT episode_id, group_key, notified_at, next_repeat_at, escalate_at, repeats FROM alerter_episodes
       WHERE chain_id = 'fresh-1' AND suppressed_by IS NULL`,
    );
    expect([ms(ep!.notified_at), ms(ep!.next_repeat_at), ms(ep!.escalate_at), ep!.repeats]).toEqual([
      t0,
      t0 + HOUR,
      t0,
      0,
    ]);
    expect(
      (await q('SELECT last_flush_at FROM alerter_groups WHERE group_key = $1', [ep!.group_key]))[0],
    ).toEqual({ last_flush_at: String(t0) });
    expect(await q('SELECT * FROM alerter_pending WHERE episode_id = $1', [ep!.episode_id])).toEqual([]);
    const said = await q('SELECT kind, detail FROM alerter_timeline WHERE episode_id = $1 ORDER BY id', [
      ep!.episode_id,
    ]);
    expect(said.map((r) => `${r.kind}:${r.detail.transition ?? ''}`)).toEqual(['firing:', 'notified:firing']);

    // A second alert of the same group (the chain's rule group) within group_interval: pending, then sent.
    await h.advance(10_000);
    await critical('fresh-1', 'b');
    await h.settle();
    expect(await h.receivedOn('fresh-1')).toHaveLength(1);
    const waiting = await q(
      `SELECT p.transition, p.held, e.notified_at FROM alerter_pending p JOIN alerter_episodes e USING (episode_id)
       WHERE e.chain_id = 'fresh-1' AND e.suppressed_by IS NULL`,
    );
    expect(waiting).toEqual([{ transition: 'firing', held: false, notified_at: null }]);
    await h.advance(50_000);
    const ns = await h.receivedOn('fresh-1');
    expect(ns.map((n) => `${n.transition}:${n.alerts.map((a) => a.labels.client_id).join(',')}`)).toEqual([
      'firing:a',
      'firing:b',
    ]);
    expect(
      await q(
        `SELECT count(*)::int AS n FROM alerter_episodes WHERE notified_at IS NULL AND suppressed_by IS NULL`,
      ),
    ).toEqual([{ n: 0 }]);

    // Both recover (after group_interval): resolutions, nothing left pending, the repeats cancelled.
    await h.advance(MIN);
    await recovered('fresh-1', 'a');
    await recovered('fresh-1', 'b');
    await h.settle();
    await h.advance(MIN);
    const all = await h.receivedOn('fresh-1');
    // (One notification, or two when the events came in two batches: the second waits for group_interval.)
    expect(all.slice(2).every((n) => n.transition === 'resolved')).toBe(true);
    expect(
      all
        .slice(2)
        .flatMap((n) => n.alerts.map((a) => `${a.labels.client_id}:${a.state}`))
        .sort(),
    ).toEqual(['a:resolved', 'b:resolved']);
    expect(
      await q(
        `SELECT state, next_repeat_at, escalate_at, count(*)::int AS n FROM alerter_episodes
         WHERE chain_id = 'fresh-1' AND suppressed_by IS NULL GROUP BY 1, 2, 3`,
      ),
    ).toEqual([{ state: 'resolved', next_repeat_at: null, escalate_at: null, n: 2 }]);
    expect(await q('SELECT * FROM alerter_pending')).toEqual([]);
  });

  it('a silenced burst is held as pending rows, and sent when the silence ends', async () => {
    await h.rpc('silence', {
      by: 'discord:42',
      matchers: [{ name: 'chain_id', value: 'fresh-2' }],
      duration_s: 600,
      reason: 'maintenance',
    });
    await critical('fresh-2', 'a');
    await h.settle();
    expect(
      await q(
        `SELECT p.transition, p.held FROM alerter_pending p JOIN alerter_episodes e USING (episode_id)
         WHERE e.chain_id = 'fresh-2'`,
      ),
    ).toEqual([{ transition: 'firing', held: true }]);
    await h.advance(10 * MIN);
    expect((await h.receivedOn('fresh-2')).map((n) => n.transition)).toEqual(['firing']);
  });
});
