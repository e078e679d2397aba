import { describe, expect, it } from 'vitest';
import { parseMaintenance } from '../src/domains/maintenance.ts';
import { defaultCommands } from '../src/index.ts';

describe('$maintenance parsing', () => {
  it('a weekly window: days (plural and sets too), a time range, a time zone, matchers, a reason', () => {
    expect(parseMaintenance('tuesdays 14:00-15:00 Europe/Zurich chain_id=~osmo.* -- node upgrades')).toEqual({
      ok: true,
      matchers: [{ name: 'chain_id', op: '=~', value: 'osmo.*' }],
      reason: 'node upgrades',
      times: { weekly: { days: ['tue'], start: '14:00', end: '15:00' }, timezone: 'Europe/Zurich' },
    });
    const w = parseMaintenance('rule=x weekdays,sat 23:00–01:00');
    expect(w).toMatchObject({
      ok: true,
      times: {
        weekly: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '23:00', end: '01:00' },
        timezone: 'UTC',
      },
    });
  });

  it('a one-off: a duration from now (the alerter’s clock), or from a date', () => {
    expect(parseMaintenance('2h source=cosmos-ibc')).toEqual({
      ok: true,
      matchers: [{ name: 'source', op: '=', value: 'cosmos-ibc' }],
      reason: '',
      times: { duration_s: 7200 },
    });
    expect(parseMaintenance('2026-03-24T13:00:00Z 90m instance=a')).toMatchObject({
      ok: true,
      times: { starts_at: '2026-03-24T13:00:00.000Z', duration_s: 5400 },
    });
  });

  it('bad input says what is wrong', () => {
    const problem = (line: string) => {
      const p = parseMaintenance(line);
      return p.ok ? null : p.problem;
    };
    expect(problem('tue 14:00-15:00')).toBe('Give at least one matcher, e.g. `chain_id=osmosis-1`');
    expect(problem('tue chain_id=x')).toBe('A weekly window needs days and a time range (tue 14:00-15:00)');
    expect(problem('tue 14:00-15:00 2h chain_id=x')).toBe(
      'Give either days and a time range, or a duration, not both',
    );
    expect(problem('8d chain_id=x')).toBe('The duration must be more than 0 and at most 7 days');
    expect(problem('tue 14:00-15:00 Mars/Olympus chain_id=x')).toMatch(/^`Mars\/Olympus` is not a day/);
    expect(problem('chain_id=x')).toBe('Missing when: a duration (2h) or days and a time range');
    expect(problem('2h chain_id=~(')).toMatch(/bad regular expression/);
  });

  it('bad input gets the usage reply, without calling the alerter', async () => {
    const registry = defaultCommands();
    const parsed = registry.parse('$maintenance tue Europe/Zurich chain_id=x');
    // No NATS connection: a call would throw; a usage reply needs none.
    const reply = await registry.run(parsed!, {
      nc: undefined as never,
      subjects: undefined as never,
      caller: { owner: 'discord:1', isAdmin: false, platform: 'discord' },
    });
    expect(reply).toMatchObject({ kind: 'usage', ephemeral: true });
    expect(reply.text).toContain('Usage: `$maintenance <spec>`');
    expect(reply.text).toContain(
      '$maintenance tue 14:00-15:00 Europe/Zurich chain_id=osmosis-1 -- node upgrades',
    );
  });
});
