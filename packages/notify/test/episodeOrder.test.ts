import { describe, expect, it } from 'vitest';
import { episodeOrder } from '../src/episodeOrder.ts';

/** A task the test finishes by hand, recording when it started. */
function task(log: string[], name: string) {
  let finish!: () => void;
  const gate = new Promise<void>((r) => {
    finish = r;
  });
  return {
    run: async () => {
      log.push(`start ${name}`);
      await gate;
      log.push(`end ${name}`);
      return name;
    },
    finish,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('episodeOrder', () => {
  it('runs work on one episode in arrival order, other episodes alongside', async () => {
    const order = episodeOrder();
    const log: string[] = [];
    const firing = task(log, 'firing A');
    const resolved = task(log, 'resolved A');
    const other = task(log, 'firing B');
    const p1 = order.run(['A'], firing.run);
    const p2 = order.run(['A'], resolved.run);
    const p3 = order.run(['B'], other.run);
    await tick();
    expect(log).toEqual(['start firing A', 'start firing B']);
    firing.finish();
    await p1;
    await tick();
    expect(log).toContain('start resolved A');
    resolved.finish();
    other.finish();
    expect(await Promise.all([p2, p3])).toEqual(['resolved A', 'firing B']);
    await tick();
    expect(order.size).toBe(0);
  });

  it('makes a group wait for each of its episodes, and goes on after a failure', async () => {
    const order = episodeOrder();
    const log: string[] = [];
    const a = task(log, 'A');
    const failing = order.run(['B'], async () => {
      throw new Error('nak');
    });
    const pa = order.run(['A'], a.run);
    const group = order.run(['A', 'B'], async () => 'group');
    await expect(failing).rejects.toThrow('nak');
    await tick();
    expect(log).toEqual(['start A']);
    a.finish();
    await pa;
    expect(await group).toBe('group');
  });
});
