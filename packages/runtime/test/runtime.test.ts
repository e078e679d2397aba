import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { system } from '@tocsin/events';
import { collect, eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  createLogger,
  formatDuration,
  loadConfig,
  parseDuration,
  readSecretFile,
  SecretFileError,
  startService,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tocsin-runtime-'));
let env: TestEnv;

beforeAll(async () => {
  env = await testEnv('runtime');
});
afterAll(async () => env.cleanup());

describe('config', () => {
  it('exits 1 with one line per bad field and no stack trace', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'subject_prefix: "has space"',
        'nats:',
        '  duplicate_window: soon',
        'http:',
        '  port: 99999',
        'echo:',
        '  greeting: ""',
        '  chains:',
        '    - chain_id: cosmoshub-4',
        '      rpc: ["not a url"]',
      ].join('\n'),
    );
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', 'echo-service.ts'), '--config', file],
      {
        env: { ...env.env, TOCSIN_SUBJECT_PREFIX: '', TOCSIN_HTTP_PORT: '' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toBe(`echo: invalid configuration (${file}):`);
    const fields = lines.slice(1).map((l) => l.trim().split(':')[0]);
    expect(fields.sort()).toEqual([
      'echo.chains.0.rpc.0',
      'echo.greeting',
      'http.port',
      'nats.duplicate_window',
      'subject_prefix',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('applies environment overrides over the file, including the generic TOCSIN__ form', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'instance: from-file\nnats:\n  url: nats://file:4222\necho:\n  greeting: hi\n');
    const cfg = loadConfig({
      file,
      env: { NATS_URL: 'nats://env:4222', TOCSIN__ECHO__GREETING: 'hello', TOCSIN__NATS__REPLICAS: '3' },
      section: { name: 'echo', schema: z.object({ greeting: z.string() }) },
    });
    expect(cfg.instance).toBe('from-file');
    expect(cfg.nats.url).toBe('nats://env:4222');
    expect(cfg.nats.replicas).toBe(3);
    expect(cfg.section.greeting).toBe('hello');
    expect(cfg.nats.duplicate_window).toBe(120_000);
  });

  it('reports an unreadable file and broken YAML as config errors', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(ConfigError);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'nats: [unclosed');
    expect(() => loadConfig({ file: broken, env: {} })).toThrow(/not valid YAML/);
  });

  it('parses and formats durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration(90)).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(formatDuration(183_600_000)).toBe('2d 3h');
  });
});

describe('secrets', () => {
  it('refuses group/other-readable secret files and reads 0600 ones', () => {
    const open = join(dir, 'open.token');
    writeFileSync(open, 'abcd-open-token\n');
    chmodSync(open, 0o644);
    expect(() => readSecretFile(open)).toThrow(SecretFileError);
    expect(() => readSecretFile(open)).toThrow(/chmod 600/);
    const closed = join(dir, 'closed.token');
    writeFileSync(closed, 'abcd-closed-token\n');
    chmodSync(closed, 0o600);
    expect(readSecretFile(closed)).toBe('abcd-closed-token');
  });

  it('never writes a registered secret or a secret-named field to the log', () => {
    const secretFile = join(dir, 'log.token');
    writeFileSync(secretFile, 'xoxb-super-secret-value');
    chmodSync(secretFile, 0o400);
    const token = readSecretFile(secretFile);
    let out = '';
    const sink = new Writable({
      write(c, _e, cb) {
        out += c.toString();
        cb();
      },
    });
    const log = createLogger({ service: 't', instance: 'i', dest: sink });
    log.info({ token: 'field-value', nested: { password: 'pw-value' } }, `connecting with ${token}`);
    log.error({ err: `request failed: Authorization: Bearer ${token}` }, 'oops');
    expect(out).not.toContain(token);
    expect(out).not.toContain('field-value');
    expect(out).not.toContain('pw-value');
    expect(out).toContain('[REDACTED]');
  });
});

describe('service', () => {
  it('serves /healthz, /readyz (NATS and PostgreSQL) and /metrics, and stops cleanly', async () => {
    const svc = await startService(
      { name: 'probe', needsDatabase: true, async start() {} },
      { config: env.config, env: {} },
    );
    // Over the network once (the port serves); the other routes in process.
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = (await svc.ctx.http.inject('/readyz')).json();
    expect(ready).toEqual({ ready: true, checks: { nats: true, postgres: true } });
    const metrics = (await svc.ctx.http.inject('/metrics')).body;
    // The names dashboards and alert rules rely on (deploy/grafana, deploy/prometheus), on every service.
    for (const name of [
      'tocsin_events_published_total',
      'tocsin_messages_received_total',
      'tocsin_messages_handled_total',
      'tocsin_messages_failed_total',
      'tocsin_handler_duration_seconds',
      'tocsin_consumer_pending_messages',
      'tocsin_deliveries_total',
      'tocsin_endpoint_errors_total',
      'tocsin_errors_total',
      'tocsin_heartbeats_sent_total',
      'tocsin_process_process_start_time_seconds',
    ])
      expect(metrics).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(metrics).toMatch(/^tocsin_heartbeats_sent_total\{service="probe"\} [1-9]/m);
    // Events published through ctx.publisher are counted, whichever service publishes them.
    const input = {
      chain_id: '-',
      dedup_key: 'probe-1',
      data: { notifier: 'probe', channel: 'c', notification_key: 'k', reason: 'r', status: null },
    };
    await svc.ctx.publisher.publish(system.deliveryFailed, input);
    await svc.ctx.publisher.publish(system.deliveryFailed, input); // the same fact again: a duplicate
    const after = (await svc.ctx.http.inject('/metrics')).body;
    expect(after).toContain(
      'tocsin_events_published_total{source="system",type="delivery_failed",duplicate="false",service="probe"} 1',
    );
    expect(after).toContain(
      'tocsin_events_published_total{source="system",type="delivery_failed",duplicate="true",service="probe"} 1',
    );
    await svc.stop();
  });

  it('beats on <prefix>.health.<service>, and says goodbye (stopping: true) as it stops', async () => {
    const nc = await env.nats();
    const beats = collect<{ instance: string; data: { service: string; stopping: boolean } }>(
      nc,
      env.subjects.health('probe-beat'),
    );
    await nc.flush();
    const svc = await startService(
      { name: 'probe-beat', async start() {} },
      { config: { ...env.config, instance: 'beat-1' }, env: {} },
    );
    const [first] = await beats.waitFor(1);
    expect(first!.instance).toBe('beat-1');
    expect(first!.data).toMatchObject({ service: 'probe-beat', stopping: false });
    await svc.stop();
    await eventually(() => beats.items.some((b) => b.data.stopping), 10_000, 'the goodbye heartbeat');
    expect(beats.items.at(-1)!.data).toMatchObject({ service: 'probe-beat', stopping: true });
  });

  it('reports not ready while PostgreSQL is unreachable', async () => {
    const svc = await startService(
      { name: 'probe2', needsDatabase: true, async start() {} },
      { config: env.config, env: {} },
    );
    // Point readiness at a closed pool: the check must fail, not throw.
    await svc.ctx.pool.end();
    const res = await svc.ctx.http.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json<{ checks: Record<string, boolean> }>().checks.postgres).toBe(false);
    await svc.stop();
  });
});

describe('consumers', () => {
  it('a consumer whose oldest pending message stands still past nats.stuck_after reports not ready, naming it, and a gauge', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const svc = await startService(
      {
        name: 'probe-stuck',
        async start(ctx) {
          await ctx.consume({
            stream: 'events',
            durable: 'probe-stuck',
            filterSubject: ctx.subjects.event('probe', 'work'),
            decode: (raw) => ({ ok: true, value: raw }),
            // A handler that does not finish (a hung provider call).
            handler: () => held,
          });
        },
      },
      { config: { ...env.config, nats: { ...(env.config.nats as object), stuck_after: '1s' } }, env: {} },
    );
    const nc = await env.nats();
    const { jetstream } = await import('@nats-io/jetstream');
    await jetstream(nc).publish(env.subjects.event('probe', 'work'), '{}');
    const readyz = async () => {
      const res = await svc.ctx.http.inject('/readyz');
      return {
        status: res.statusCode,
        body: res.json<{ checks: Record<string, boolean>; reasons?: Record<string, string> }>(),
      };
    };
    // The ack floor is JetStream's: this waits for real time to pass on the server (the threshold is 1 s).
    await eventually(async () => (await readyz()).status === 503, 20_000, 'not ready');
    const { body } = await readyz();
    expect(body.checks).toMatchObject({ nats: true, 'consumer:probe-stuck': false });
    expect(body.reasons?.['consumer:probe-stuck']).toMatch(
      /oldest unacked message .* pending for \d+ s, more than 1 s/,
    );
    const metrics = (await svc.ctx.http.inject('/metrics')).body;
    expect(metrics).toMatch(/tocsin_consumer_stuck\{[^}]*consumer="probe-stuck"[^}]*\} 1/);
    expect(metrics).toMatch(
      /tocsin_consumer_oldest_pending_age_seconds\{[^}]*consumer="probe-stuck"[^}]*\} [1-9]/,
    );
    release();
    await eventually(
      async () => (await readyz()).status === 200,
      20_000,
      'ready again once the message is acked',
    );
    expect((await readyz()).body.checks['consumer:probe-stuck']).toBe(true);
    await svc.stop();
  });
});

describe('process lifecycle', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'echo:\n  greeting: hi\n');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'fixtures', 'echo-service.ts'), '--config', file],
      {
        env: { ...env.env, TOCSIN_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('echo started')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const code = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      // 'close', not 'exit': the log line asserted below may still be unread when 'exit' fires.
      child.once('close', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out).toContain('"signal":"SIGTERM"');
  });
});
