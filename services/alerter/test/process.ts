import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

/** Writes a YAML file in a fresh temporary folder and returns its path. */
export function yamlFile(name: string, doc: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'alerter-')), name);
  writeFileSync(path, stringify(doc));
  return path;
}

export interface AlerterProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** Runs `services/alerter/src/main.ts` as its own process (the way it is deployed). */
export function spawnAlerter(env: NodeJS.ProcessEnv, configFile: string): AlerterProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    env: { ...env, TOCSIN_CONFIG: configFile, TOCSIN_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (b: Buffer) => stdout.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => stderr.push(b.toString()));
  // 'close', not 'exit': only then has all of the child's output been read (tests read stderr after it exits).
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, stdout, stderr, exited };
}

/** Resolves when the process logged that it started (its consumer, RPC and HTTP are up). */
export function started(p: AlerterProcess, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`alerter did not start: ${p.stderr.join('')}`)),
      timeoutMs,
    );
    const check = () => {
      if (p.stdout.join('').includes('"msg":"alerter started"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.child.stdout!.on('data', check);
    p.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`alerter exited with ${code}: ${p.stderr.join('')}`));
    });
    check();
  });
}
