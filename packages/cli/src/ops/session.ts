import { userInfo } from 'node:os';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { callRpc, isRpcError } from '@tocsin/bus';
import { alerterRpc, type Subjects, subjects } from '@tocsin/events';
import { configFileFrom, type LoadedConfig, loadConfig, readSecretFile, redactUrl } from '@tocsin/runtime';
import type { z } from 'zod';

/** What every daily-work command takes from its options. */
export interface OpsOptions {
  config?: string;
  env?: NodeJS.ProcessEnv;
  /** Where lines go (tests capture them). */
  print?: (line: string) => void;
  /** Where the one line of a failure goes (stderr). */
  printError?: (line: string) => void;
  /** How long to wait for NATS and for each RPC answer (ms). */
  timeoutMs?: number;
}

export interface Session {
  config: LoadedConfig<z.ZodType>;
  nc: NatsConnection;
  subjects: Subjects;
  close(): Promise<void>;
}

/** The config the services read (same file, same environment, same messages), without a section of its own. */
export function loadCommonConfig(o: OpsOptions): LoadedConfig<z.ZodType> {
  const env = o.env ?? process.env;
  return loadConfig({ file: o.config ?? configFileFrom([], env), env });
}

/** Connects to the configured NATS once (no retry loop: a command says it cannot reach it and exits). */
export async function openSession(o: OpsOptions): Promise<Session> {
  const config = loadCommonConfig(o);
  const timeout = o.timeoutMs ?? 5000;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: config.nats.url.split(',').map((s) => s.trim()),
      name: 'tocsin-cli',
      timeout,
      ...(config.nats.token_file ? { token: readSecretFile(config.nats.token_file) } : {}),
    });
  } catch (err) {
    throw new CliError(`cannot reach NATS at ${redactUrl(config.nats.url)}: ${(err as Error).message}`);
  }
  return { config, nc, subjects: subjects(config.subject_prefix), close: () => nc.close() };
}

/** A failure the CLI reports as one line and exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code = 'cli_failed';
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError;
}

type Alerter = typeof alerterRpc;

/** `<prefix>.rpc.alerter.<method>`, the answer decoded with the shared contract. */
export async function alerterCall<M extends keyof Alerter>(
  s: Session,
  method: M,
  body: z.input<Alerter[M]['request']>,
  timeoutMs = 10_000,
): Promise<z.output<Alerter[M]['result']>> {
  const subject = s.subjects.rpc('alerter', method);
  const raw = await callRpc(s.nc, subject, body, timeoutMs).catch((err: unknown) => {
    if (isRpcError(err, 'unavailable'))
      throw new CliError(
        `the alerter does not answer on ${subject} (is it running, with subject prefix ${s.subjects.prefix}? \`tocsin status\` checks)`,
      );
    throw err;
  });
  const parsed = alerterRpc[method].result.safeParse(raw);
  if (!parsed.success) throw new CliError(`alerter.${method} answered in an unexpected shape`);
  return parsed.data as z.output<Alerter[M]['result']>;
}

/** Who acts: `--by`, else $TOCSIN_USER, else `user:<login name>`. */
export function actingUser(by: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (by) return by;
  if (env.TOCSIN_USER) return env.TOCSIN_USER;
  const name = userInfo().username.replace(/[^A-Za-z0-9_.@-]/g, '_') || 'cli';
  return `user:${name}`;
}

/** Runs a command body: errors become one line on stderr and exit code 1; the session is always closed. */
export async function runOps(
  name: string,
  o: OpsOptions,
  body: (s: Session, print: (line: string) => void) => Promise<number | undefined>,
): Promise<number> {
  const print = o.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  let s: Session | undefined;
  try {
    s = await openSession(o);
    return (await body(s, print)) ?? 0;
  } catch (err) {
    const say = o.printError ?? ((l: string) => process.stderr.write(`${l}\n`));
    say(`tocsin ${name}: ${(err as Error).message}`);
    return 1;
  } finally {
    await s?.close().catch(() => undefined);
  }
}
