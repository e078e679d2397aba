import type { MaintenanceTimes, Matcher } from '@tocsin/events';
import { matcherProblems } from '../silences/match.ts';
import { compileSchedule } from './schedule.ts';

/** A maintenance window of the configuration, as parsed (durations in ms). */
export interface ConfigWindow {
  name: string;
  matchers: Matcher[];
  weekly?: NonNullable<MaintenanceTimes['weekly']>;
  cron?: string;
  duration?: number;
  timezone: string;
  starts_at?: string;
  ends_at?: string;
  reason: string;
}

/** The times of a configured window, in the shape the RPC and the store use. */
export function configTimes(w: ConfigWindow): MaintenanceTimes {
  return {
    timezone: w.timezone,
    ...(w.weekly ? { weekly: w.weekly } : {}),
    ...(w.cron ? { cron: w.cron } : {}),
    ...(w.duration !== undefined ? { duration_s: w.duration / 1000 } : {}),
    ...(w.starts_at ? { starts_at: w.starts_at } : {}),
    ...(w.ends_at ? { ends_at: w.ends_at } : {}),
  };
}

/**
 * What is wrong with the configured windows, per field: times that do not compile (a bad cron pattern, an unknown
 * time zone, two kinds of times), bad regular expressions, a name given twice. A one-off that is over is not an
 * error here (it simply never mutes).
 */
export function maintenanceConfigProblems(
  list: readonly ConfigWindow[],
): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  list.forEach((w, i) => {
    if (seen.has(w.name)) out.push({ path: [i, 'name'], message: `"${w.name}" is given twice` });
    seen.add(w.name);
    const times = configTimes(w);
    const compiled = compileSchedule(times, times.starts_at ? Date.parse(times.starts_at) : 0);
    if ('problems' in compiled)
      for (const p of compiled.problems) {
        const [field, ...rest] = p.split(': ');
        out.push({ path: [i, field === 'duration_s' ? 'duration' : field!], message: rest.join(': ') });
      }
    for (const p of matcherProblems(w.matchers)) {
      const [field, ...rest] = p.split(': ');
      out.push({
        path: [i, ...field!.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x))],
        message: rest.join(': '),
      });
    }
  });
  return out;
}
