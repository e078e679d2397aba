import { readFileSync } from 'node:fs';
import type { Notification } from '@tocsin/events';
import { type Explain, type ReplayRun, type ReplaySpawnOptions, runAlerterReplay } from './alerterReplay.ts';
import { table } from './table.ts';

export interface ReplayArgs extends ReplaySpawnOptions {
  json?: boolean;
  print?: (line: string) => void;
  /** Where the problems go (stderr). */
  printError?: (line: string) => void;
}

const defaultPrint = (l: string) => process.stdout.write(`${l}\n`);

/** Every alert transition of the run, in order: what "the same alerts as the live run" compares. */
export function transitions(ns: Notification[]): {
  transition: string;
  rule_id: string;
  fingerprint: string;
  state: string;
  severity: string;
  summary: string;
  at: string;
}[] {
  return ns.flatMap((n) =>
    n.alerts.map((a) => ({
      transition: n.transition,
      rule_id: a.rule_id,
      fingerprint: a.fingerprint,
      state: a.state,
      severity: a.severity,
      summary: a.summary,
      at: n.created_at,
    })),
  );
}

/** The replay could not run at all (the embedded PostgreSQL did not start, say): a failed run saying why. */
function spawnFailed(err: unknown): ReplayRun {
  return {
    code: 2,
    rules: [],
    notifications: [],
    summary: null,
    explain: null,
    stderr: (err as Error).message,
  };
}

function failed(name: string, run: ReplayRun, a: ReplayArgs): number {
  const say = a.printError ?? ((l: string) => process.stderr.write(`${l}\n`));
  say(`tocsin ${name}: ${run.stderr.trim() || `the alerter's replay exited with ${run.code}`}`);
  return run.code || 1;
}

/** `tocsin replay <events.jsonl>`: recorded events through the rules; the notifications they give, in order. */
export async function replayCmd(file: string, a: ReplayArgs): Promise<number> {
  const print = a.print ?? defaultPrint;
  const run = await runAlerterReplay('replay', file, { ...a, bar: 'replay' }).catch(spawnFailed);
  if (run.code !== 0 || !run.summary) return failed('replay', run, a);
  if (a.json) {
    for (const n of run.notifications) print(JSON.stringify(n));
    return 0;
  }
  const rows = transitions(run.notifications);
  for (const l of table(
    ['TIME', 'TRANSITION', 'SEVERITY', 'RULE', 'FINGERPRINT', 'SUMMARY'],
    rows.map((r) => [r.at, r.transition, r.severity, r.rule_id, r.fingerprint, r.summary]),
  ))
    print(l);
  const s = run.summary;
  print('');
  print(
    `${s.events} events replayed (${s.from ?? '-'} → ${s.to ?? '-'}): ${s.notifications} notifications, ${rows.length} alert transitions`,
  );
  for (const r of s.refused) print(`refused (as the live alerter would have): ${r}`);
  return 0;
}

interface SampleEvent {
  id: string;
  source: string;
  type: string;
  chain_id: string;
  observed_at: string;
}

function sampleEvents(file: string): Map<string, SampleEvent> {
  const out = new Map<string, SampleEvent>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const v = JSON.parse(line) as { event?: SampleEvent } & SampleEvent;
    const e = v.event && typeof v.event === 'object' ? v.event : v;
    out.set(e.id, e);
  }
  return out;
}

/** The explanation in plain words: one heading per kind, one block per item (nothing for a kind not configured). */
function printExplain(x: Explain, print: (l: string) => void): void {
  const section = (title: string, items: { name: string; lines: string[] }[]) => {
    if (!items.length) return;
    print('');
    print(`${title}:`);
    for (const it of items) {
      print(`  ${it.name}`);
      for (const l of it.lines) print(`      ${l}`);
    }
  };
  section(
    'maintenance windows',
    x.maintenance.map((m) => ({ name: m.name, lines: m.lines })),
  );
  section(
    'flap suppression',
    x.flap.map((f) => ({ name: `rule ${f.rule}`, lines: f.lines })),
  );
  section(
    'escalation ladders',
    x.escalation.map((e) => ({ name: e.policy, lines: e.lines })),
  );
  section(
    'incidents (correlation rules)',
    x.incidents.map((i) => ({ name: i.id, lines: i.lines })),
  );
}

/**
 * `tocsin rules check <file> [--sample events.jsonl] [--at time]`: the config as the services read it (exit 1
 * naming each bad field) and its rules (every CEL condition compiled); what its maintenance windows, flap settings,
 * escalation ladders and incidents do, in words; with a sample, what would fire on it and why.
 */
export async function rulesCheckCmd(file: string, a: ReplayArgs & { sample?: string }): Promise<number> {
  const print = a.print ?? defaultPrint;
  const run = await runAlerterReplay('check', a.sample, { ...a, config: file, bar: 'check' }).catch(
    spawnFailed,
  );
  if (run.code !== 0) return failed('rules check', run, a);
  if (a.json) {
    print(
      JSON.stringify({
        ok: true,
        rules: run.rules,
        explain: run.explain,
        fired: a.sample ? transitions(run.notifications) : null,
      }),
    );
    return 0;
  }
  print(`${file}: valid; ${run.rules.length} rules, every condition compiled`);
  if (run.explain) printExplain(run.explain, print);
  if (!a.sample) return 0;
  print('');
  const events = sampleEvents(a.sample);
  const fired = run.notifications.flatMap((n) => n.alerts.map((al) => ({ n, al })));
  if (!fired.length) {
    print(`nothing would fire on ${a.sample} (${run.summary?.events ?? 0} events)`);
    return 0;
  }
  print(`on ${a.sample} (${run.summary?.events ?? 0} events) these would be notified:`);
  const kinds = new Map(run.rules.map((r) => [r.id, r.kind]));
  for (const { n, al } of fired) {
    print(`  ${n.transition.toUpperCase()} ${al.severity}  ${al.rule_id}  ${al.chain_id}: ${al.summary}`);
    const e = al.event_id ? events.get(al.event_id) : undefined;
    const labels = Object.entries(al.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    print(
      `      why: ${kinds.get(al.rule_id) ?? 'rule'} rule ${al.rule_id} on ${e ? `${e.source}.${e.type} of ${e.observed_at}` : 'the timers'}${al.value !== null ? `, value ${al.value}` : ''}; ${labels}`,
    );
  }
  for (const r of run.summary?.refused ?? []) print(`refused (as the live alerter would): ${r}`);
  return 0;
}
