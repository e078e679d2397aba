import { readFileSync } from 'node:fs';
import { configEnvVariables } from '@tocsin/runtime';
import type { Command } from 'commander';
import { SERVICES } from '../catalog.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What `tocsin up --help` shows after the options: the services it can run and the variables the stack reads. */
export function upHelpText(): string {
  const services = SERVICES.map(
    (s) =>
      `  ${s.name.padEnd(18)} port ${s.port}  ${s.section ? `runs when the config has "${s.section}:"` : 'always runs'}`,
  );
  const vars = [
    ...configEnvVariables().map((v) => `  ${v.name.padEnd(24)} ${v.key}`),
    `  ${'TOCSIN__<SECTION>__<KEY>'.padEnd(24)} any key, e.g. TOCSIN__COSMOS_IBC__MAX_CONCURRENCY_PER_ENDPOINT=4`,
    `  ${'TOCSIN_CONFIG'.padEnd(24)} the config file (else ./tocsin.yaml; none = the demo)`,
    `  ${'TOCSIN_DATA_DIR'.padEnd(24)} where embedded NATS/PostgreSQL keep data (default .tocsin)`,
  ];
  return [
    '',
    'Services (--only takes these names):',
    ...services,
    '',
    'Environment variables:',
    ...vars,
  ].join('\n');
}

const config = (c: Command) =>
  c.option('-c, --config <file>', 'config file (default: $TOCSIN_CONFIG or ./tocsin.yaml)');

const exit = (code: number) => {
  process.exitCode = code;
};

/** The daily-work commands: status, tail, alerts, ack, silence, silences, expire, rules check, replay, events. */
export function registerOps(program: Command): void {
  program.version(VERSION, '-V, --version', 'print the version');

  config(program.command('status'))
    .description('a doctor: config, NATS, streams, PostgreSQL, services, consumer lag, last event per source')
    .option('--json', 'the report as JSON')
    .option('--timeout <ms>', 'wait at most this long for each answer', '3000')
    .action(async (o) => {
      const { statusCmd } = await import('./status.ts');
      exit(await statusCmd(o, { config: o.config, timeoutMs: Number(o.timeout) }));
    });

  config(program.command('tail'))
    .description(
      'live events and alerts (filter: source=… type=… chain=… kind=event|alert severity>=warning)',
    )
    .argument('[filter...]', 'key=value, key=a,b, key!=value, severity>=level; all must hold')
    .option('--json', 'raw JSON lines')
    .option('-n, --count <n>', 'stop after n messages')
    .action(async (filter: string[], o) => {
      const { tailCmd } = await import('./tail.ts');
      const ctl = new AbortController();
      process.once('SIGINT', () => ctl.abort());
      exit(
        await tailCmd(
          filter,
          { json: o.json, signal: ctl.signal, ...(o.count ? { count: Number(o.count) } : {}) },
          { config: o.config },
        ),
      );
    });

  config(program.command('alerts'))
    .description("the alerter's alerts, newest first (firing by default)")
    .option('--state <state>', 'firing, pending or resolved', 'firing')
    .option('--source <source>')
    .option('--chain <chain_id>')
    .option('--limit <n>', 'at most n', '100')
    .option('--json', 'one JSON alert a line')
    .action(async (o) => {
      const { alertsCmd } = await import('./alerts.ts');
      exit(await alertsCmd({ ...o, limit: Number(o.limit) }, { config: o.config }));
    });

  config(program.command('ack'))
    .description('acknowledge an alert by its id (as `tocsin alerts` shows) or fingerprint')
    .argument('<id>', 'episode id (ULID) or fingerprint')
    .option('--note <text>', 'why, or what you are doing about it')
    .option('--by <owner>', 'who acts (default: $TOCSIN_USER or user:<login>)')
    .option('--json')
    .action(async (id: string, o) => {
      const { ackCmd } = await import('./alerts.ts');
      exit(await ackCmd(id, o, { config: o.config }));
    });

  config(program.command('silence'))
    .description('silence alerts whose labels match every matcher')
    .argument('<matchers...>', 'label=value, label!=value, label=~regex, label!~regex')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1d')
    .option('--reason <text>', 'why', '')
    .option('--by <owner>', 'who acts (default: $TOCSIN_USER or user:<login>)')
    .option('--json')
    .action(async (matchers: string[], o) => {
      const { silenceCmd } = await import('./alerts.ts');
      exit(await silenceCmd(matchers, o, { config: o.config }));
    });

  config(program.command('silences'))
    .description('active silences (--all: every one kept)')
    .option('--all')
    .option('--json')
    .action(async (o) => {
      const { silencesCmd } = await import('./alerts.ts');
      exit(await silencesCmd(o, { config: o.config }));
    });

  config(program.command('expire'))
    .description('end a silence now')
    .argument('<silence-id>')
    .option('--by <owner>', 'who acts (default: $TOCSIN_USER or user:<login>)')
    .option('--json')
    .action(async (id: string, o) => {
      const { expireCmd } = await import('./alerts.ts');
      exit(await expireCmd(id, o, { config: o.config }));
    });

  const replayOptions = (c: Command) =>
    c
      .option(
        '--database-url <url>',
        'replay in this PostgreSQL (a schema of its own); default: embedded PGlite',
      )
      .option('--tick <duration>', 'timer grid (default: alerter.tick_interval, 1s)')
      .option('--drain <duration>', 'keep the timers running this long after the last event', '5m')
      .option('--json', 'one notification a line');

  replayOptions(
    program
      .command('rules')
      .description('rule tools')
      .command('check')
      .description(
        'validate a config and its rules (CEL compiled); explain its maintenance windows, flap settings, escalation ladders and incidents; with --sample, what would fire and why',
      )
      .argument('<file>', 'config file'),
  )
    .option('--sample <events.jsonl>', 'events (an export, or one envelope a line)')
    .option('--at <time>', "count maintenance windows' next occurrences from this time (default: now)")
    .action(async (file: string, o) => {
      const { rulesCheckCmd } = await import('./replay.ts');
      exit(await rulesCheckCmd(file, { ...o, databaseUrl: o.databaseUrl }));
    });

  replayOptions(config(program.command('replay')))
    .description('run recorded events (tocsin events export) through the rules: the alerts they give')
    .argument('<events.jsonl>')
    .action(async (file: string, o) => {
      const { replayCmd } = await import('./replay.ts');
      exit(await replayCmd(file, { ...o, databaseUrl: o.databaseUrl }));
    });

  config(program.command('events').description('the events stream').command('export'))
    .description('write a time range of the events stream as JSONL (the input of replay)')
    .option('--since <when>', 'a time (2026-12-04T10:00:00Z) or a duration ago (2h); default: the start')
    .option('--until <when>', 'a time or a duration ago; default: now')
    .option('--source <source...>', 'only these sources')
    .action(async (o) => {
      const { exportCmd } = await import('./exportEvents.ts');
      exit(await exportCmd(o, { config: o.config }));
    });
}
