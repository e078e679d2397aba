import { randomBytes } from 'node:crypto';
import { createPool, migrate, type Pool, storeMigrations } from '@tocsin/store';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Coalescer,
  type DeliveryContext,
  DeliveryInProgress,
  DeliveryLog,
  deliverNotification,
  notifyMigrations,
  type Provider,
} from '../src/index.ts';
import { sampleNotification } from './fixtures.ts';

let env: TestEnv;
let pool: Pool;
let statements = 0;

beforeAll(async () => {
  env = await testEnv('notify-delivery-log');
  await migrate({ url: env.databaseUrl, dir: storeMigrations, service: 'store', schema: env.schema });
  await migrate({ url: env.databaseUrl, dir: notifyMigrations.dir, service: 'notify', schema: env.schema });
  pool = createPool({ url: env.databaseUrl, schema: env.schema, max: 4 });
  const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
  (pool as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
    statements++;
    return query(...a);
  };
});
afterAll(async () => {
  await pool.end();
  await env.cleanup();
});

describe('Coalescer', () => {
  it('batches what arrives while a batch is in flight, and never puts one key twice in a batch', async () => {
    const batches: string[][] = [];
    const c = new Coalescer<string, string>(
      async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 5));
        return items.map((i) => i.toUpperCase());
      },
      (i) => i,
      3,
    );
    const out = await Promise.all(['a', 'b', 'a', 'c', 'd', 'e'].map((i) => c.submit(i)));
    expect(out).toEqual(['A', 'B', 'A', 'C', 'D', 'E']);
    expect(batches[0]).toEqual(['a']);
    for (const b of batches) {
      expect(new Set(b).size).toBe(b.length);
      expect(b.length).toBeLessThanOrEqual(3);
    }
    expect(batches.flat().sort()).toEqual(['a', 'a', 'b', 'c', 'd', 'e']);
  });

  it('a failed batch fails each of its callers, and the next batch still runs', async () => {
    let n = 0;
    const c = new Coalescer<number, number>(async (items) => {
      if (n++ === 0) throw new Error('statement failed');
      return items;
    }, String);
    const first = c.submit(1);
    const second = c.submit(2);
    await expect(first).rejects.toThrow('statement failed');
    await expect(second).resolves.toBe(2);
  });
  it("a batch failing on one item's data runs its items one by one: only that item fails", async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const c = new Coalescer<string, string>(
      async (items) => {
        batches.push(items);
        if (items[0] === 'first') await gate;
        if (items.includes('bad')) throw Object.assign(new Error('refused'), { code: '22021' });
        return items.map((i) => i.toUpperCase());
      },
      String,
      256,
      (err) => (err as { code?: string }).code === '22021',
    );
    const first = c.submit('first');
    const rest = ['a', 'bad', 'b'].map((i) => c.submit(i));
    release();
    await expect(first).resolves.toBe('FIRST');
    await expect(rest[0]).resolves.toBe('A');
    await expect(rest[1]).rejects.toThrow('refused');
    await expect(rest[2]).resolves.toBe('B');
    expect(batches).toEqual([['first'], ['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });
});

describe('DeliveryLog shared by concurrent deliveries', () => {
  it('delivers each notification once with batched claims and marks; a concurrent copy waits', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const provider: Provider = {
      name: 'batched',
      routes: () => ['x', 'y'],
      async deliver(ctx: DeliveryContext) {
        await gate;
        sent.push(`${ctx.notification.key}/${ctx.channel}`);
        return { ref: `ref-${ctx.notification.key}-${ctx.channel}` };
      },
    };
    const log = new DeliveryLog(pool, provider.name, 60_000);
    const ns = Array.from({ length: 40 }, () => sampleNotification());
    statements = 0;
    const running = ns.map((n) => deliverNotification({ pool, provider, notification: n, log }));
    // A second copy of the first notification while the first holds its claim (batched with it or after it).
    const copy = deliverNotification({ pool, provider, notification: ns[0]!, log });
    await expect(copy).rejects.toBeInstanceOf(DeliveryInProgress);
    release();
    const outcomes = await Promise.all(running);
    expect(outcomes.flat().map((o) => o.state)).toEqual(Array(80).fill('sent'));
    expect(new Set(sent).size).toBe(80);
    expect(sent).toHaveLength(80);
    // 40 notifications × 2 channels, each a claim and a mark: 160 statements one by one, a handful batched.
    expect(statements).toBeLessThan(40);
    // The messages are remembered for later transitions (firing): the next delivery about them sees them.
    const rows = await pool.query(
      "SELECT count(*)::int AS n FROM notify_deliveries WHERE notifier = 'batched' AND state = 'sent'",
    );
    expect(rows.rows[0].n).toBe(80);
    const again = await Promise.all(
      ns.map((n) => deliverNotification({ pool, provider, notification: n, log })),
    );
    expect(again.flat().every((o) => o.state === 'skipped' && o.ref?.startsWith('ref-'))).toBe(true);
  });

  it('claims and marks that wait together go in one statement', async () => {
    const log = new DeliveryLog(pool, 'mixed', 60_000);
    const req = (key: string) => ({
      key,
      channel: 'x',
      attemptId: `a-${key}`,
      transition: 'firing',
      episodes: [`ep-${key}`],
    });
    expect(await log.claim(req('one'))).toMatchObject({ claimed: true, attempts: 1 });
    statements = 0;
    // The first goes at once; the mark and the claim of 'two' wait for it and then go together; the claim of 'one'
    // touches the marked row, so it goes after them (and finds it sent).
    const [first, sent, two, oneAgain] = await Promise.all([
      log.claim(req('three')),
      log.markSent({ key: 'one', channel: 'x', ref: 'msg-1', episodes: ['ep-one'] }),
      log.claim(req('two')),
      log.claim(req('one')),
    ]);
    expect(statements).toBe(3);
    expect(first).toMatchObject({ claimed: true });
    expect(sent).toBeUndefined();
    expect(two).toMatchObject({ claimed: true, priorRefs: new Map() });
    expect(oneAgain).toEqual({ claimed: false, current: { state: 'sent', ref: 'msg-1' } });
    // The mark remembered the message: a later claim about the episode (another notification) gets its ref.
    const later = await log.claim({ ...req('one-resolved'), episodes: ['ep-one', 'ep-two'] });
    expect(later).toMatchObject({ claimed: true, priorRefs: new Map([['ep-one', 'msg-1']]) });
  });

  it('a claim PostgreSQL refuses fails alone; the claims and marks batched with it go through', async () => {
    const log = new DeliveryLog(pool, 'refused', 60_000);
    const req = (key: string) => ({
      key,
      channel: 'x',
      attemptId: 'a',
      transition: 'firing',
      episodes: ['e'],
    });
    await log.claim(req('marked'));
    // Past the primary key's row size limit (random, so it does not compress under it).
    const huge = randomBytes(12_000).toString('hex');
    const [first, mark, bad, good] = await Promise.allSettled([
      log.claim(req('first')),
      log.markSent({ key: 'marked', channel: 'x', ref: null, episodes: [] }),
      log.claim(req(huge)),
      log.claim(req('good')),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { claimed: true } });
    expect(mark).toMatchObject({ status: 'fulfilled' });
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: '54000' } });
    expect(good).toMatchObject({ status: 'fulfilled', value: { claimed: true } });
    const rows = await pool.query(
      "SELECT notification_key, state FROM notify_deliveries WHERE notifier = 'refused' ORDER BY 1",
    );
    expect(rows.rows).toEqual([
      { notification_key: 'first', state: 'attempting' },
      { notification_key: 'good', state: 'attempting' },
      { notification_key: 'marked', state: 'sent' },
    ]);
  });

  it('passes the refs of messages already posted about the episodes to the next delivery', async () => {
    const seen: Map<string, string>[] = [];
    const provider: Provider = {
      name: 'threads',
      routes: () => ['x'],
      async deliver(ctx) {
        seen.push(ctx.priorRefs);
        return { ref: `m-${ctx.notification.transition}` };
      },
    };
    const log = new DeliveryLog(pool, provider.name);
    const firing = sampleNotification();
    const resolved = { ...firing, key: `${firing.key}:resolved`, transition: 'resolved' as const };
    await deliverNotification({ pool, provider, notification: firing, log });
    await deliverNotification({ pool, provider, notification: resolved, log });
    const ep = firing.alerts[0]!.episode_id;
    expect(seen[0]!.size).toBe(0);
    expect(seen[1]!.get(ep)).toBe('m-firing');
  });
});
