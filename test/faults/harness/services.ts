import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const repo = join(import.meta.dirname, '..', '..', '..');

export type ServiceName =
  | 'alerter'
  | 'cosmos-ibc'
  | 'notifier-webhook'
  | 'notifier-discord'
  | 'notifier-slack'
  | 'console';

/** A folder for one test's files (config, secrets); secrets are written mode 600 as the services require. */
export function workDir(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `tocsin-faults-${name}-`));
  return {
    dir,
    /** Writes a YAML config file and returns its path. */
    config(file: string, doc: unknown): string {
      const path = join(dir, file);
      writeFileSync(path, stringify(doc));
      return path;
    },
    secret(file: string, content: string): string {
      const path = join(dir, file);
      writeFileSync(path, `${content}\n`, { mode: 0o600 });
      return path;
    },
  };
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Everything it wrote on stdout and stderr so far (this run and the earlier runs of the same handle). */
  output(): string;
  /** Resolves once it logged `<name> started`; rejects if it exits first. */
  started(timeoutMs?: number): Promise<void>;
  /** kill -9; resolves once it is gone. */
  kill9(): Promise<void>;
  /** Starts it again with the same config (a new process, output appended). */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs `services/<name>/src/main.ts` as its own process, the way it is deployed, so kill -9 is a real crash.
 * Logs at info (the `started` line is what `started()` waits for); the environment carries no NATS or database
 * settings of the test runner: everything comes from the config file.
 */
export function spawnService(
  name: ServiceName,
  configFile: string,
  env: Record<string, string> = {},
): ServiceProcess {
  let out = '';
  const {
    NATS_URL: _n,
    DATABASE_URL: _d,
    TEST_DATABASE_URL: _t,
    TOCSIN_SUBJECT_PREFIX: _p,
    TOCSIN_DATABASE_SCHEMA: _s,
    TOCSIN_LOG_LEVEL: _l,
    ...parent
  } = process.env;
  const launch = () => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(repo, 'services', name, 'src', 'main.ts')], {
      cwd: repo,
      env: { ...parent, TOCSIN_CONFIG: configFile, TOCSIN_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      out += b.toString();
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    return c;
  };
  const gone = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve(c.exitCode)
      : new Promise<number | null>((r) => c.once('close', (code) => r(code)));
  const proc: ServiceProcess = {
    name,
    child: launch(),
    output: () => out,
    started(timeoutMs = 120_000) {
      const c = proc.child;
      const from = out.lastIndexOf('\u0000');
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          c.stdout?.off('data', check);
          reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${out.slice(-3000)}`));
        }, timeoutMs);
        function check() {
          if (out.slice(from + 1).includes(`"msg":"${name} started"`)) {
            clearTimeout(timer);
            c.stdout?.off('data', check);
            resolve();
          }
        }
        c.stdout?.on('data', check);
        c.once('exit', (code, signal) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (${code ?? signal}) before it started:\n${out.slice(-3000)}`));
        });
        check();
      });
    },
    async kill9() {
      proc.child.kill('SIGKILL');
      await gone(proc.child);
    },
    async restart() {
      // A marker between runs, so started() only looks at the new run's output.
      out += '\u0000';
      proc.child = launch();
      await proc.started();
    },
    async stop() {
      const c = proc.child;
      if (c.exitCode !== null || c.signalCode !== null) return c.exitCode;
      const hard = setTimeout(() => c.kill('SIGKILL'), 15_000);
      c.kill('SIGTERM');
      const code = await gone(c);
      clearTimeout(hard);
      return code;
    },
  };
  return proc;
}

/** The settings every service of one fault test shares. */
export function commonConfig(o: {
  natsUrl: string;
  databaseUrl: string;
  prefix: string;
  schema: string;
  replicas?: number;
}) {
  return {
    subject_prefix: o.prefix,
    nats: { url: o.natsUrl, ...(o.replicas ? { replicas: o.replicas } : {}) },
    database: { url: o.databaseUrl, schema: o.schema, pool_size: 4 },
    http: { port: 0 },
    log: { level: 'info' },
  };
}
