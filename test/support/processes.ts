import { spawn } from 'node:child_process';

/** A service process started by a test: its combined output, its exit code, a way to signal it. */
export interface ServiceProcess {
  output: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

/** This environment without the tocsin variables of the machine running the tests. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(TOCSIN|DATABASE_URL$|TEST_DATABASE_URL$|NATS_URL$)/.test(k),
    ),
  );
}

export function spawnService(
  command: string,
  args: string[],
  opts: { cwd?: string; env: NodeJS.ProcessEnv },
) {
  const child = spawn(command, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  // 'close', not 'exit': only then has all of the output been read.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const p: ServiceProcess = { output: () => out, exited, kill: (s) => child.kill(s) };
  return p;
}

/**
 * Resolves with the URL a service logged once started (log level info); rejects if it exits first, or has not
 * started within `timeoutMs` (the error says so, with its last output).
 */
export function startedUrl(name: string, p: ServiceProcess, timeoutMs = 90_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`${name} did not log "started" within ${timeoutMs} ms:\n${p.output().slice(-3000)}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"[^"]* started"/.exec(p.output());
      if (m) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(m[1]!);
      }
    }, 100);
    void p.exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`${name} exited with ${code}:\n${p.output().slice(-3000)}`));
    });
  });
}
