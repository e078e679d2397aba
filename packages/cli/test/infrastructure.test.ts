import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@tocsin/testkit';
import { expect, it } from 'vitest';
import { MissingNatsServer, resolveNats } from '../src/up/infrastructure.ts';

it('uses NATS_URL when set, whatever runs locally', async () => {
  const n = await resolveNats({ NATS_URL: 'nats://elsewhere:4222' }, tmpdir());
  expect(n).toEqual({ url: 'nats://elsewhere:4222', origin: 'NATS_URL' });
});

it('says how to install nats-server when none runs and none is installed', async () => {
  const port = await freePort();
  const err = await resolveNats({}, tmpdir(), { localPort: port, binary: 'nats-server-not-installed' }).catch(
    (e) => e,
  );
  expect(err).toBeInstanceOf(MissingNatsServer);
  expect(err.message).toContain('apt-get install nats-server');
  expect(err.message).toContain('brew install nats-server');
  expect(err.message).toContain('docker compose up nats');
});

it('starts nats-server with JetStream when nothing answers, keeping its store in the data dir', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'tocsin-nats-'));
  const n = await resolveNats({}, dataDir, { localPort: port });
  try {
    expect(n.origin).toBe('started nats-server');
    const nc = await connect({ servers: n.url });
    const info = await (await jetstreamManager(nc)).getAccountInfo();
    expect(info.limits).toBeDefined();
    await nc.close();
  } finally {
    n.child?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('says why when the nats-server it started exits (a port taken meanwhile), without waiting out the start timeout', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tocsin-nats-'));
  // Answers --version like nats-server, then fails to listen as it does when the port was taken meanwhile.
  const binary = join(dir, 'nats-server');
  writeFileSync(
    binary,
    [
      '#!/bin/sh',
      'if [ "$1" = --version ]; then echo "nats-server: v2.10.0"; exit 0; fi',
      `echo "[FTL] Error listening on port: 127.0.0.1:${port}, "bind: address already in use"" >&2`,
      'exit 1',
    ].join('\n'),
  );
  chmodSync(binary, 0o755);
  try {
    const err = await resolveNats({}, dir, { localPort: port, binary }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    // The port it chose (not `port` itself: get-port does not hand the test's port out again for a while).
    expect((err as Error).message).toMatch(/nats-server did not start on port \d+ \(exited with 1\)/);
    expect((err as Error).message).toContain('address already in use');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
