import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@tocsin/runtime';
import { type HarmonySim, startHarmonySim } from '@tocsin/sim-harmony';
import { eventually, freePort } from '@tocsin/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentConfigInput,
  type AgentLog,
  DiskBuffer,
  HarmonyAgent,
  parseAgentConfig,
} from '../src/index.ts';

const KEY = 'c3'.repeat(48);
const quiet: AgentLog = { info() {}, warn() {}, error() {} };

/** A receiver that answers with the statuses a test sets, and keeps what it accepted. */
async function receiver() {
  // biome-ignore lint/suspicious/noExplicitAny: tests read nested JSON bodies
  const got: { auth: string | undefined; body: Record<string, any> }[] = [];
  let status = 202;
  const server: Server = createServer((req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      if (status === 202) got.push({ auth: req.headers.authorization, body: JSON.parse(b) });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    set: (s: number) => (status = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('harmony agent', () => {
  let dir: string;
  let sim: HarmonySim;
  let clock: ManualClock;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const tokenFile = () => join(dir, 'token');
  const config = (o: Partial<AgentConfigInput> = {}) =>
    parseAgentConfig({
      node_url: sim.nodeUrl('val-main'),
      service_url: rx.url,
      token_file: tokenFile(),
      hostname: 'val-main',
      buffer_dir: join(dir, 'buffer'),
      ...o,
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hmy-agent-'));
    writeFileSync(tokenFile(), 'tocsin_hmy_secret\n', { mode: 0o600 });
    clock = new ManualClock(Date.parse('2026-12-03T18:00:00Z'));
    sim = await startHarmonySim({
      clock: () => clock.now(),
      scenario: { nodes: [{ name: 'val-main', blskeys: [KEY] }] },
    });
    rx = await receiver();
  });
  afterEach(async () => {
    await sim.close();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the node and POSTs a report with its bearer token', async () => {
    const agent = new HarmonyAgent(config({ validator_address: 'one1abc' }), {
      now: () => clock.now(),
      log: quiet,
    });
    const node = await agent.collect();
    expect(node).toMatchObject({
      reachable: true,
      blskeys: [KEY],
      mode: 'Normal',
      is_backup: false,
      shard_id: 0,
    });
    expect(await agent.deliver()).toBe('delivered');
    expect(rx.got).toHaveLength(1);
    expect(rx.got[0]!.auth).toBe('Bearer tocsin_hmy_secret');
    expect(rx.got[0]!.body).toMatchObject({
      hostname: 'val-main',
      validator_address: 'one1abc',
      interval_s: 15,
      buffered: false,
      node: { reachable: true, blskeys: [KEY], mode: 'Normal' },
    });
    expect(agent.buffer.size).toBe(0);
  });

  it('refuses a token file group or others can read (0600 and 0400 are fine)', () => {
    chmodSync(tokenFile(), 0o640);
    expect(() => new HarmonyAgent(config(), { log: quiet })).toThrow(
      /readable by group\/others \(mode 640\)/,
    );
    chmodSync(tokenFile(), 0o400);
    expect(() => new HarmonyAgent(config(), { log: quiet })).not.toThrow();
  });

  it('a node that does not answer is reported as node_unreachable, not a crash', async () => {
    const agent = new HarmonyAgent(config(), { now: () => clock.now(), log: quiet });
    sim.set('val-main', { answer: 'down' });
    expect(await agent.collect()).toMatchObject({ reachable: false });
    sim.set('val-main', { answer: 'error' });
    expect(await agent.collect()).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/JSON-RPC error -32000/),
    });
    const port = await freePort();
    const closed = new HarmonyAgent(
      config({ node_url: `http://127.0.0.1:${port}`, buffer_dir: join(dir, 'b2') }),
      {
        now: () => clock.now(),
        log: quiet,
      },
    );
    expect(await closed.collect()).toMatchObject({
      reachable: false,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    await agent.deliver();
    expect(rx.got.map((g) => g.body.node.reachable)).toEqual([false, false]);
  });

  it('keeps reports on disk while the service fails, retries with backoff, then delivers them in order', async () => {
    const agent = new HarmonyAgent(config({ max_backoff: '8s' }), { now: () => clock.now(), log: quiet });
    rx.set(503);
    for (let i = 0; i < 4; i++) {
      await agent.collect();
      await agent.deliver();
      clock.advance(15_000);
    }
    expect(agent.buffer.size).toBe(4);
    expect(readdirSync(join(dir, 'buffer'))).toHaveLength(4);
    // Backoff: right after a failure the agent waits instead of hammering the service.
    await agent.collect();
    expect(await agent.deliver()).toBe('retry_later');
    clock.advance(500);
    expect(await agent.deliver()).toBe('retry_later');
    rx.set(202);
    clock.advance(8_000);
    expect(await agent.deliver()).toBe('delivered');
    const times = rx.got.map((g) => Date.parse(g.body.reported_at));
    expect(times).toHaveLength(5);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(rx.got.slice(0, 4).every((g) => g.body.buffered)).toBe(true);
  });

  it('the buffer survives a restart of the agent and is bounded (oldest dropped)', async () => {
    const agent = new HarmonyAgent(
      config({ buffer_max: 3, service_url: `http://127.0.0.1:${await freePort()}` }),
      {
        now: () => clock.now(),
        log: quiet,
      },
    );
    for (let i = 0; i < 5; i++) {
      await agent.collect();
      clock.advance(15_000);
    }
    expect(agent.buffer.size).toBe(3);
    expect(agent.buffer.dropped).toBe(2);
    const again = new DiskBuffer<{ reported_at: string }>(join(dir, 'buffer'), 3);
    expect(again.size).toBe(3);
    expect(again.peek()!.reported_at).toBe('2026-12-03T18:00:30.000Z');
  });

  it('refuses a bad configuration naming each field', () => {
    expect(() => parseAgentConfig({ service_url: 'nope', interval: 'soon', extra: 1 })).toThrow(
      /service_url: [\s\S]*token_file: [\s\S]*interval: [\s\S]*extra/,
    );
  });
});

describe('harmony agent run loop', () => {
  it('collects and delivers on its own until stopped, and never throws', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hmy-agent-run-'));
    writeFileSync(join(dir, 'token'), 'tocsin_hmy_secret', { mode: 0o600 });
    const sim = await startHarmonySim({ scenario: { nodes: [{ name: 'n', blskeys: [KEY] }] } });
    const rx = await receiver();
    const agent = new HarmonyAgent(
      parseAgentConfig({
        node_url: sim.nodeUrl('n'),
        service_url: rx.url,
        token_file: join(dir, 'token'),
        hostname: 'n',
        interval: '1s',
        buffer_dir: join(dir, 'buffer'),
      }),
      { log: quiet },
    );
    const running = agent.run();
    try {
      await eventually(() => rx.got.length >= 2, 30_000, 'two reports delivered by the loop');
      sim.set('n', { answer: 'down' });
      await eventually(
        () => rx.got.some((g) => g.body.node.reachable === false),
        30_000,
        'a node_unreachable report',
      );
    } finally {
      agent.stop();
      await running;
      await sim.close();
      await rx.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(rx.got[0]!.body.node).toMatchObject({ reachable: true, blskeys: [KEY] });
  });
});
