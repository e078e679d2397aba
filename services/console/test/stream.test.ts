import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Alert, Notification } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleService } from '../src/index.ts';
import { api } from './support.ts';

let env: TestEnv;
let nc: NatsConnection;
let svc: RunningService;

beforeAll(async () => {
  env = await testEnv('console-stream');
  nc = await env.nats();
  svc = await startService(consoleService, {
    env: env.env,
    argv: [],
    // No token file, and no dashboard built in this (empty) folder.
    config: {
      ...env.config,
      console: { stream_heartbeat: '1s', web_dir: mkdtempSync(join(tmpdir(), 'console-nodist-')) },
    },
  });
});

afterAll(async () => {
  await svc?.stop();
  await env?.cleanup();
});

const alert: Alert = {
  fingerprint: 'fp-9',
  episode_id: '01JD00000000000000000000B9',
  rule_id: 'wallet-low',
  state: 'firing',
  severity: 'warning',
  source: 'cosmos-ibc',
  chain_id: 'hub-1',
  labels: {},
  summary: 'relayer wallet low',
  description: '',
  started_at: '2026-12-04T10:00:00.000Z',
  resolved_at: null,
  value: 1,
  acknowledged: null,
  silenced_by: [],
  escalated: false,
  mentions: [],
  links: [],
  event_id: null,
  retracted: null,
};

/** Reads the stream until `until` matches what arrived, or fails after `ms` saying what it saw. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  until: RegExp,
  ms = 10_000,
): Promise<string> {
  const dec = new TextDecoder();
  let seen = '';
  const deadline = Date.now() + ms;
  while (!until.test(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`stream: no ${until} within ${ms} ms; got ${JSON.stringify(seen)}`);
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`stream: nothing within ${ms} ms`)), left),
      ),
    ]);
    if (chunk.done) throw new Error(`stream closed; got ${JSON.stringify(seen)}`);
    seen += dec.decode(chunk.value);
  }
  return seen;
}

it('pushes every alert of a notification published on NATS as an SSE `alert` event, with heartbeats', async () => {
  const res = await fetch(`${svc.url}/api/stream`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  await readUntil(reader, /: connected\n\n/);
  const n: Notification = {
    id: '01JD00000000000000000000C1',
    version: 1,
    key: 'ep:firing',
    transition: 'firing',
    severity: 'warning',
    source: 'cosmos-ibc',
    group: { key: 'g', labels: {} },
    alerts: [alert],
    mentions: [],
    created_at: '2026-12-04T10:00:00.000Z',
  };
  nc.publish(env.subjects.alert('warning', 'cosmos-ibc'), JSON.stringify(n));
  nc.publish(env.subjects.alert('warning', 'cosmos-ibc'), 'not json');
  const got = await readUntil(reader, /event: alert\ndata: .*\n\n/);
  const data = /event: alert\ndata: (.*)\n\n/.exec(got)![1]!;
  expect(JSON.parse(data)).toEqual(alert);
  await readUntil(reader, /: heartbeat\n\n/);
  // Stopping the console ends the stream cleanly (the read finishes instead of hanging).
  const stopping = svc.stop();
  const end = await Promise.race([
    (async () => {
      for (;;) if ((await reader.read()).done) return 'closed';
    })(),
    new Promise((r) => setTimeout(() => r('still open after 10 s'), 10_000)),
  ]);
  expect(end).toBe('closed');
  await stopping;
});

it('without a token file every write answers 401 saying how to set it; without a build / says how to build', async () => {
  const env2 = await testEnv('console-open');
  const svc2 = await startService(consoleService, {
    env: env2.env,
    argv: [],
    config: { ...env2.config, console: { web_dir: mkdtempSync(join(tmpdir(), 'console-nodist-')) } },
  });
  try {
    for (const [method, path] of [
      ['POST', '/api/alerts/01JD00000000000000000000B9/ack'],
      ['POST', '/api/silences'],
      ['DELETE', '/api/silences/x'],
    ] as const) {
      const r = await api(svc2, path, { method, body: {}, token: 'anything' });
      expect(r.status).toBe(401);
      expect(r.body.message).toMatch(/console\.token_file/);
    }
    expect((await api(svc2, '/api/session', { token: 'anything' })).body).toEqual({
      authenticated: false,
      writable: false,
    });
    const page = await api(svc2, '/');
    expect(page.status).toBe(200);
    expect(page.body.text).toContain('pnpm --filter @tocsin/console web:build');
  } finally {
    await svc2.stop();
    await env2.cleanup();
  }
});
