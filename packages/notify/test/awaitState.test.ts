import { ManualClock } from '@tocsin/runtime';
import { describe, expect, it } from 'vitest';
import { awaitState } from '../src/index.ts';

/** The shared ManualClock (sleeping moves it), recording each sleep. */
function manualClock(start: number): ManualClock & { slept: number[] } {
  const clock = Object.assign(new ManualClock(start), { slept: [] as number[] });
  const sleep = clock.sleep.bind(clock);
  clock.sleep = async (ms: number) => {
    clock.slept.push(ms);
    await sleep(ms);
  };
  return clock;
}

describe('awaitState (a click on a message whose state is still being saved)', () => {
  it('looks again until the state is there, for a message posted moments ago', async () => {
    const clock = manualClock(1_000_000);
    let calls = 0;
    const state = await awaitState(async () => (++calls < 4 ? null : { card: 'saved' }), {
      postedAt: 1_000_000 - 200,
      clock,
    });
    expect(state).toEqual({ card: 'saved' });
    expect(calls).toBe(4);
    expect(clock.slept).toEqual([250, 250, 250]);
  });

  it('gives up once the message is older than the patience, and at once for an old message', async () => {
    const clock = manualClock(1_000_000);
    let calls = 0;
    const young = await awaitState(
      async () => {
        calls++;
        return null;
      },
      { postedAt: 1_000_000, clock, patienceMs: 1_000 },
    );
    expect(young).toBeNull();
    expect(calls).toBe(5);
    expect(clock.slept).toEqual([250, 250, 250, 250]);

    const old = manualClock(5_000_000);
    calls = 0;
    const gone = await awaitState(
      async () => {
        calls++;
        return null;
      },
      { postedAt: 1_000_000, clock: old },
    );
    expect(gone).toBeNull();
    expect(calls).toBe(1);
    expect(old.slept).toEqual([]);
  });
});
