import { mkdtempSync, rmSync } from 'node:fs';
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
