import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Notification } from '@tocsin/events';
import { ALERTER_REPLAY_MAIN } from '../catalog.ts';
import { startEmbeddedPostgres } from '../embedded/embeddedPostgres.ts';
import { progress } from './progress.ts';

/** tsx's loader, resolved from here (as the supervisor does), so the child starts whatever the working directory. */
const TSX = import.meta.resolve('tsx');

export interface ReplayRun {
  code: number;
  rules: { id: string; source: string; kind: string; severity: string }[];
  notifications: Notification[];
  summary: {
    events: number;
    notifications: number;
    refused: string[];
    from: string | null;
    to: string | null;
  } | null;
  /** check: the config's maintenance windows, flap settings, escalation ladders and incidents, in words. */
  explain: Explain | null;
  /** What the child said on stderr (the bad fields of a config, a bad input line). */
  stderr: string;
}

/** What `main.ts check` explains (services/alerter/src/replay/explain.ts), each item a name and its lines. */
export interface Explain {
  maintenance: { name: string; lines: string[]; next: { starts_at: string; ends_at: string }[] }[];
  flap: { rule: string; lines: string[] }[];
  escalation: { policy: string; lines: string[] }[];
  incidents: { id: string; lines: string[] }[];
}

export interface ReplaySpawnOptions {
  config?: string;
  /** A PostgreSQL to replay in (a schema of its own, dropped after); else an embedded PGlite in a temp dir. */
  databaseUrl?: string;
  tick?: string;
  drain?: string;
  /** check: the time the explanation counts next occurrences from (default: now). */
  at?: string;
  env?: NodeJS.ProcessEnv;
  /** Draw a progress bar (stderr, terminals only). */
  bar?: string;
}

/** Runs the alerter's replay/check process (services/alerter/src/replay/main.ts) and collects what it reports. */
export async function runAlerterReplay(
  mode: 'replay' | 'check',
  input: string | undefined,
  o: ReplaySpawnOptions,
): Promise<ReplayRun> {
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  let dir: string | undefined;
  let url = o.databaseUrl;
  if (input && !url) {
    dir = mkdtempSync(join(tmpdir(), 'tocsin-replay-'));
    embedded = await startEmbeddedPostgres({ dataDir: dir });
    url = embedded.url;
  }
  const args = [
    '--import',
    TSX,
    ALERTER_REPLAY_MAIN,
    mode,
    ...(mode === 'replay' && input ? [input] : []),
    ...(mode === 'check' && input ? ['--sample', input] : []),
    ...(o.config ? ['--config', o.config] : []),
    ...(o.tick ? ['--tick', o.tick] : []),
    ...(o.drain ? ['--drain', o.drain] : []),
    ...(mode === 'check' && o.at ? ['--at', o.at] : []),
  ];
  const child = spawn(process.execPath, args, {
    env: { ...(o.env ?? process.env), ...(url ? { TOCSIN_REPLAY_DATABASE_URL: url } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: ReplayRun = {
    code: 0,
    rules: [],
    notifications: [],
    summary: null,
    explain: null,
    stderr: '',
  };
  child.stderr.on('data', (b: Buffer) => {
    run.stderr += b.toString();
  });
  const bar = progress(o.bar ?? mode);
  let totalSet = false;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (!line.startsWith('{')) continue;
      const m = JSON.parse(line) as { kind: string } & Record<string, unknown>;
      if (m.kind === 'rules') run.rules = m.rules as ReplayRun['rules'];
      else if (m.kind === 'notification') run.notifications.push(m.notification as Notification);
      else if (m.kind === 'explain') {
        const { kind: _, ...rest } = m;
        run.explain = rest as unknown as Explain;
      } else if (m.kind === 'summary') run.summary = m as unknown as ReplayRun['summary'];
      else if (m.kind === 'progress') {
        if (!totalSet) {
          bar.total(m.total as number);
          totalSet = true;
        }
        bar.set(m.done as number);
      }
    }
    run.code = await new Promise<number>((r) => {
      if (child.exitCode !== null) r(child.exitCode);
      else child.once('close', (c) => r(c ?? 2));
    });
  } finally {
    bar.stop();
    await embedded?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
  return run;
}
