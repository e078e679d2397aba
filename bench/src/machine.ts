import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Figure } from './report.ts';

const TICKS = 100;

/**
 * The whole machine's CPU time since boot, all cores, in seconds (/proc/stat's first line): busy (user, nice,
 * system, irq, softirq), and steal (time the hypervisor gave another machine) beside idle and iowait.
 */
export interface MachineCpu {
  busy: number;
  steal: number;
  all: number;
}

export function machineCpu(): MachineCpu {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq;
  return { busy: busy / TICKS, steal: steal / TICKS, all: (busy + idle + iowait + steal) / TICKS };
}

export function machineSince(start: MachineCpu): MachineCpu {
  const now = machineCpu();
  return { busy: now.busy - start.busy, steal: now.steal - start.steal, all: now.all - start.all };
}

/**
 * How busy the machine was during a system's two measured bursts, and its busy CPU per alert transition: every
 * process counted (nats-server, PostgreSQL's WAL writer, the bench's publisher and receiver, anything else running).
 * When both systems keep every core busy, the ratio of their rates is the inverse of the ratio of these costs.
 */
export function machineFigure(tocsin: MachineCpu, am: MachineCpu | undefined, transitions: number): Figure {
  const share = (m: MachineCpu) => (100 * m.busy) / m.all;
  const perTransition = (m: MachineCpu) => (m.busy * 1e6) / transitions;
  const cores = cpus().length;
  const say = (who: string, m: MachineCpu) =>
    `${who} ${m.busy.toFixed(1)} of ${m.all.toFixed(1)} core-seconds busy (${perTransition(m).toFixed(0)} µs per transition; steal ${m.steal.toFixed(1)} s)`;
  return {
    name: 'machine CPU busy during the bursts (all processes, all cores)',
    value: share(tocsin),
    unit: '%',
    ...(am
      ? {
          baseline: { name: 'Alertmanager: same', value: share(am) },
          ratio: perTransition(tocsin) / perTransition(am),
        }
      : {}),
    note: `${cores} cores; ${say('tocsin', tocsin)}${am ? `; ${say('Alertmanager', am)}; ratio: tocsin's busy CPU per transition to Alertmanager's` : ''}`,
  };
}
