import { createPool, migrate, type Pool, storeMigrations } from '@tocsin/store';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeliveryContext,
  DeliveryError,
  type DigestingProvider,
  deliverNotification,
  notifyMigrations,
  withBurstDigest,
} from '../src/index.ts';
import { sampleNotification } from './fixtures.ts';

/** A clock the test moves, and a wait that returns only when the test lets it (time is never slept). */
function manualTime() {
  let t = 0;
  const waits: { ms: number; resume: () => void }[] = [];
  return {
    now: () => t,
    wait: (ms: number) => new Promise<void>((resume) => waits.push({ ms, resume })),
    waits,
    /** Lets the oldest wait finish, advancing the clock by what it asked for. */
    async elapse() {
      await until(() => waits.length > 0);
      const w = waits.shift()!;
      t += w.ms;
      w.resume();
    },
  };
}

/** Polls for a condition reached through real I/O (PostgreSQL round trips), not through time. */
async function until(cond: () => boolean) {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error('condition not reached');
}

function digestingProvider(opts: { failDigest?: DeliveryError } = {}) {
  const sent: { kind: 'single' | 'digest'; keys: string[] }[] = [];
  let n = 0;
  const provider: DigestingProvider = {
    name: 'burst',
    routes: () => ['c1'],
    async deliver(ctx) {
      sent.push({ kind: 'single', keys: [ctx.notification.key] });
      return { ref: `m${++n}` };
    },
    async deliverDigest(_channel, items) {
      if (opts.failDigest) throw opts.failDigest;
      sent.push({ kind: 'digest', keys: items.map((i) => i.notification.key) });
      return { ref: `m${++n}` };
    },
    posts: (ctx) => ctx.notification.transition !== 'acknowledged',
  };
  return { provider, sent };
}

const ctxOf = (key: string, transition: 'firing' | 'acknowledged' = 'firing'): DeliveryContext => ({
  notification: sampleNotification({ key, transition }),
  channel: 'c1',
  attemptId: key,
  priorRefs: new Map(),
});

describe('withBurstDigest', () => {
  it('sends each notification on its own while the channel has room', async () => {
    const time = manualTime();
    const { provider, sent } = digestingProvider();
    const gated = withBurstDigest(provider, { burst: 5, perMs: 5000, ...time });
    const refs = await Promise.all(['a', 'b', 'c'].map((k) => gated.deliver(ctxOf(k))));
    expect(refs.map((r) => r.ref)).toEqual(['m1', 'm2', 'm3']);
    expect(sent.map((s) => s.kind)).toEqual(['single', 'single', 'single']);
    expect(time.waits).toEqual([]);
  });

  it('coalesces the rest of a burst into one digest at the next slot, dropping nothing', async () => {
    const time = manualTime();
    const { provider, sent } = digestingProvider();
    const gated = withBurstDigest(provider, { burst: 2, perMs: 2000, ...time });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const all = Promise.all(keys.map((k) => gated.deliver(ctxOf(k))));
    await time.elapse();
    const refs = await all;
    expect(time.waits).toEqual([]);
    expect(sent).toEqual([
      { kind: 'single', keys: ['k0'] },
      { kind: 'single', keys: ['k1'] },
      { kind: 'digest', keys: keys.slice(2) },
    ]);
    expect(new Set(refs.slice(2).map((r) => r.ref))).toEqual(new Set(['m3']));
  });

  it('caps a digest and keeps the order; a lone leftover goes out on its own', async () => {
    const time = manualTime();
    const { provider, sent } = digestingProvider();
    const gated = withBurstDigest(provider, { burst: 1, perMs: 1000, maxDigest: 3, ...time });
    const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => gated.deliver(ctxOf(k))));
    for (let i = 0; i < 2; i++) await time.elapse();
    await all;
    expect(sent.map((s) => s.keys)).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
  });

  it('lets edit-only deliveries through, and fails every member of a failed digest', async () => {
    const time = manualTime();
    const { provider, sent } = digestingProvider({ failDigest: new DeliveryError('HTTP 503', true, 503) });
    const gated = withBurstDigest(provider, { burst: 1, perMs: 1000, ...time });
    const first = gated.deliver(ctxOf('a'));
    const queued = [gated.deliver(ctxOf('b')), gated.deliver(ctxOf('c'))];
    const ack = await gated.deliver(ctxOf('d', 'acknowledged'));
    expect(ack.ref).toBe('m2');
    await first;
    await time.elapse();
    const settled = await Promise.allSettled(queued);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(sent.map((s) => s.keys)).toEqual([['a'], ['d']]);
  });
});

describe('digests and the delivery log', () => {
  let env: TestEnv;
  let pool: Pool;
  beforeAll(async () => {
    env = await testEnv('notify-burst');
    await migrate({ url: env.databaseUrl, dir: storeMigrations, service: 'store', schema: env.schema });
    await migrate({ url: env.databaseUrl, dir: notifyMigrations.dir, service: 'notify', schema: env.schema });
    pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await env.cleanup();
  });

  it('records every notification of a digest as sent, with the digest message as its ref', async () => {
    const time = manualTime();
    const { provider, sent } = digestingProvider();
    const gated = withBurstDigest(provider, { burst: 1, perMs: 1000, ...time });
    // Count arrivals at the gate, so the slot opens only once all four are queued behind the first.
    let arrived = 0;
    const observed = {
      ...gated,
      deliver: (ctx: DeliveryContext) => {
        arrived++;
        return gated.deliver(ctx);
      },
    };
    const notifications = Array.from({ length: 4 }, () => sampleNotification());
    const all = Promise.all(
      notifications.map((n) => deliverNotification({ pool, provider: observed, notification: n })),
    );
    await until(() => arrived === 4);
    await time.elapse();
    const outcomes = (await all).flat();
    expect(outcomes.map((o) => o.state)).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(outcomes.map((o) => o.ref).sort()).toEqual(['m1', 'm2', 'm2', 'm2']);
    expect(sent.map((s) => s.kind)).toEqual(['single', 'digest']);
    const again = await deliverNotification({ pool, provider: observed, notification: notifications[3]! });
    expect(again[0]!.state).toBe('skipped');
    const episodes = notifications.map((n) => n.alerts[0]!.episode_id);
    const { rows } = await pool.query<{ episode_id: string; ref: string }>(
      'SELECT episode_id, ref FROM notify_messages WHERE episode_id = ANY($1) ORDER BY ref',
      [episodes],
    );
    expect(rows.map((r) => r.ref)).toEqual(['m1', 'm2', 'm2', 'm2']);
  });
});
