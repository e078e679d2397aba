import { RpcError } from '@tocsin/bus';
import type { MaintenanceTimes, MaintenanceWindow, Matcher } from '@tocsin/events';
import { insertTimeline } from '../lifecycle/episodeStore.ts';
import type { AlerterCore } from '../pipeline/core.ts';
import { matcherProblems, matchesAll } from '../silences/match.ts';
import { type ConfigWindow, configTimes } from './config.ts';
import { compileSchedule } from './schedule.ts';
import { endWindow, insertWindow, listWindows, readWindow, syncConfigWindows } from './store.ts';
import { compileWindows, toPublic, type Window, type WindowRow } from './windows.ts';

export interface NewMaintenance extends MaintenanceTimes {
  by: string;
  name?: string;
  matchers: Matcher[];
  reason: string;
  origin: 'api' | 'chat';
}

const iso = (ms: number) => new Date(ms).toISOString();

function compiled(row: WindowRow): Window {
  const [w] = compileWindows([row], (_, problems) => {
    throw new Error(`maintenance window ${row.id}: ${problems.join('; ')}`);
  });
  return w!;
}

/** Maintenance windows created, listed and ended by people (RPC, chat) and kept in step with the configuration. */
export class MaintenanceCommands {
  constructor(private readonly core: AlerterCore) {}

  #now(): number {
    return this.core.d.clock.now();
  }

  async create(req: NewMaintenance): Promise<MaintenanceWindow> {
    const now = this.#now();
    const { by, name, matchers, reason, origin, ...given } = req;
    const schedule = compileSchedule(given, now);
    // A one-off is stored with its times resolved (from now, for a duration).
    const times: MaintenanceTimes =
      'kind' in schedule && schedule.kind === 'once'
        ? { timezone: given.timezone, starts_at: iso(schedule.start), ends_at: iso(schedule.end) }
        : given;
    const problems = [...('problems' in schedule ? schedule.problems : []), ...matcherProblems(matchers)];
    if (problems.length) throw new RpcError('bad_request', problems.join('; '), problems);
    const core = this.core;
    return core.serial(() =>
      core.locked('silences', async (c) => {
        const row = await insertWindow(
          c,
          {
            name: name ?? (reason.slice(0, 100) || 'maintenance'),
            matchers,
            times,
            origin,
            author: by,
            reason,
          },
          now,
        );
        const w = compiled(row);
        const open = await c.query(
          `SELECT episode_id, labels FROM alerter_episodes WHERE state <> 'resolved'`,
        );
        await insertTimeline(
          c,
          open.rows
            .filter((r) => matchesAll(matchers, r.labels))
            .map((r) => ({
              episode_id: r.episode_id,
              at: now,
              kind: 'maintenance_added',
              detail: { maintenance: row.id, name: row.name, by, reason },
            })),
        );
        return { result: toPublic(w, now) };
      }),
    );
  }

  async end(req: { by: string; id: string }): Promise<MaintenanceWindow> {
    const core = this.core;
    return core.serial(() =>
      core.locked('silences', async (c) => {
        const now = this.#now();
        const row = await endWindow(c, req.id, now);
        if (!row) throw new RpcError('not_found', `no maintenance window ${req.id} still in force`);
        // The running occurrence (if any) ends now; the next tick closes it and posts its summary.
        return { result: toPublic(compiled(row), now) };
      }),
    );
  }

  async list(activeOnly: boolean): Promise<MaintenanceWindow[]> {
    const now = this.#now();
    const rows = await listWindows(this.core.d.pool, activeOnly);
    return compileWindows(rows, () => undefined).map((w) => toPublic(w, now));
  }

  async get(id: string): Promise<MaintenanceWindow | undefined> {
    const row = await readWindow(this.core.d.pool, id);
    return row ? toPublic(compiled(row), this.#now()) : undefined;
  }

  /** Makes the stored config windows those of `alerter.maintenance` (at start). */
  async syncConfig(list: readonly ConfigWindow[]): Promise<{ added: string[]; ended: string[] }> {
    const core = this.core;
    return core.serial(() =>
      core.locked('silences', async (c) => ({
        result: await syncConfigWindows(
          c,
          list.map((w) => ({ name: w.name, matchers: w.matchers, times: configTimes(w), reason: w.reason })),
          this.#now(),
        ),
      })),
    );
  }
}
