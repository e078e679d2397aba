import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Notification } from '@tocsin/events';
import { ConfigError, EXIT_CODES, isConfigError, loadConfig, parseDuration } from '@tocsin/runtime';
import { createPool, migrate, storeMigrations } from '@tocsin/store';
import { type AlerterConfig, alerterConfig, startProblems } from '../config.ts';
import { loadRules } from '../rules/loadRules.ts';
import { alerterMigrations } from '../service.ts';
import { explainConfig } from './explain.ts';
import { isReplayInputError, parseRecorded, type Recorded, ReplayInputError, replay } from './replay.ts';

/**
 * The process behind `tocsin replay` and `tocsin rules check` (the CLI spawns it, as `tocsin up` spawns service
 * mains): `main.ts replay <events.jsonl>` or `main.ts check [--sample <events.jsonl>]`, with `--config FILE`.
 * Prints JSON lines on stdout: `{kind: "rules", …}`, `{kind: "progress", done, total}`,
 * `{kind: "notification", notification}`, `{kind: "summary", …}`; check adds `{kind: "explain", …}` (the config's
 * maintenance windows, flap settings, escalation ladders and incidents in words, from `--at` or now). A bad config, rule or input line: its lines on
 * stderr and exit 1. PostgreSQL: TOCSIN_REPLAY_DATABASE_URL, in a schema of its own dropped at the end.
 */
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function readRecorded(file: string): Recorded[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ReplayInputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code}`);
  }
  const events: Recorded[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim()) events.push(parseRecorded(lines[i]!, i + 1, file));
  }
  // In the order the stream stored them (an export is; a hand-made sample may not be).
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.receivedAt - b.e.receivedAt || a.i - b.i)
    .map((x) => x.e);
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      sample: { type: 'string' },
      tick: { type: 'string' },
      drain: { type: 'string' },
      /** check: the time the explanation's next occurrences count from (default: now). */
      at: { type: 'string' },
    },
  });
  const [mode, file] = positionals;
  const config = loadConfig({
    file: values.config,
    env: process.env,
    section: { name: 'alerter', schema: alerterConfig },
  });
  const cfg = config.section as AlerterConfig;
  const refused = startProblems(cfg, config.nats.duplicate_window);
  if (refused.length) throw new ConfigError(values.config ?? 'configuration', refused);
  const rules = loadRules(cfg, { source: values.config ?? 'configuration' });
  out({
    kind: 'rules',
    rules: rules.rules.map((r) => ({ id: r.id, source: r.source, kind: r.kind, severity: r.severity })),
  });
  const input = mode === 'replay' ? file : values.sample;
  if (mode !== 'replay' && mode !== 'check') throw new Error(`unknown mode ${mode}`);
  if (mode === 'check') {
    const at = values.at === undefined ? Date.now() : Date.parse(values.at);
    if (Number.isNaN(at))
      throw new ReplayInputError(`--at: "${values.at}" is not a time (2026-03-24T13:00:00Z)`);
    out({ kind: 'explain', ...explainConfig(cfg, rules, at) });
  }
  if (!input) return 0;
  const events = readRecorded(input);
  const url = process.env.TOCSIN_REPLAY_DATABASE_URL;
  if (!url) throw new Error('TOCSIN_REPLAY_DATABASE_URL is not set');
  const schema = `tocsin_replay_${randomBytes(4).toString('hex')}`;
  await migrate({ url, dir: storeMigrations, service: 'store', schema });
  await migrate({ url, dir: alerterMigrations, service: 'alerter', schema });
  const pool = createPool({ url, schema, max: 4, applicationName: 'tocsin-replay' });
  try {
    const summary = await replay({
      pool,
      rules,
      config: cfg,
      events,
      ...(values.tick ? { tickMs: parseDuration(values.tick) } : {}),
      ...(values.drain ? { drainMs: parseDuration(values.drain) } : {}),
      log: quiet,
      onNotification: (notification: Notification) => out({ kind: 'notification', notification }),
      onProgress: (done, total) => out({ kind: 'progress', done, total }),
    });
    out({ kind: 'summary', ...summary });
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
  return 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  const bad = isConfigError(err) || isReplayInputError(err);
  // One line (a stack only when asked for: TOCSIN_LOG_LEVEL=debug).
  const detail =
    process.env.TOCSIN_LOG_LEVEL === 'debug' ? ((err as Error).stack ?? String(err)) : (err as Error).message;
  process.stderr.write(`${bad ? (err as Error).message : `failed: ${detail}`}\n`);
  process.exitCode = bad ? EXIT_CODES.config : EXIT_CODES.failed;
}
