import type { EventEnvelope } from '@tocsin/events';
import { type CosmosSim, startCosmosSim } from '@tocsin/sim-cosmos';
import { collect, eventually } from '@tocsin/testkit';
import { afterAll, expect, inject, it } from 'vitest';
import { startHostileEndpoints } from './harness/hostile.ts';
import { counts, type Pipeline, settled, startPipeline } from './harness/pipeline.ts';
import { type NatsNode, startNatsServer } from './harness/servers.ts';
import { type ServiceProcess, spawnService } from './harness/services.ts';

// cosmos-ibc as a process against chain endpoints that flap (down 1 s in every 3), are slow (5 s per request),
// answer garbage (protobuf that does not decode, an HTML page), or never finish their body. The healthy, slow and
// flapping chains' clients are each alerted once and delivered once; the broken ones become endpoint_error
// events; the ingestor never crashes and keeps scanning.

const CLIENTS = 30;
const TRUSTING = 1_209_600;
const clients = (count: number, seed: number) => ({
  count,
  seed,
  counterparty_chain_ids: ['counterparty-1'],
  trusting_period_s: TRUSTING,
  last_update_ago_s: Math.round(TRUSTING * 0.9),
});

let nats: NatsNode & { close(): Promise<void> };
let sim: CosmosSim;
let hostile: Awaited<ReturnType<typeof startHostileEndpoints>>;
let p: Pipeline | undefined;
let ingestor: ServiceProcess | undefined;
let flapping: NodeJS.Timeout | undefined;

afterAll(async () => {
  clearInterval(flapping);
  await ingestor?.stop();
  await p?.close();
  await sim?.close();
  await hostile?.close();
  await nats?.close();
});

it('flapping, slow (5 s), garbage and endless endpoints: alerts exact for the chains that answer, endpoint_error for the rest, no crash', async () => {
  nats = await startNatsServer();
  hostile = await startHostileEndpoints();
  sim = await startCosmosSim({
    scenario: {
      chains: [
        { chain_id: 'healthy-1', generate_clients: clients(CLIENTS, 1) },
        { chain_id: 'slow-1', generate_clients: clients(CLIENTS, 2), fault: { latency_ms: 5000 } },
        { chain_id: 'flappy-1', generate_clients: clients(CLIENTS, 3) },
        { chain_id: 'garbled-1', generate_clients: clients(5, 4), fault: { kind: 'garbage' } },
      ],
    },
  });
  const chain = (chain_id: string, rpc: string) => ({
    chain_id,
    rpc: [rpc],
    denom: 'stake',
    display_denom: 'STAKE',
    // Per chain (the section has no scan_interval): the default, 10 minutes, would never rescan in this test.
    scan_interval: '5s',
  });
  p = await startPipeline({
    name: 'chain_endpoints',
    natsUrl: nats.url,
    databaseUrl: inject('databaseUrl'),
    extra: {
      cosmos_ibc: {
        request_timeout: '10s',
        retries: 2,
        retry_backoff: '500ms',
        chains: [
          chain('healthy-1', sim.chainUrl('healthy-1')),
          chain('slow-1', sim.chainUrl('slow-1')),
          chain('flappy-1', sim.chainUrl('flappy-1')),
          chain('garbled-1', sim.chainUrl('garbled-1')),
          chain('endless-1', hostile.endlessUrl),
          chain('html-1', hostile.htmlUrl),
        ],
      },
    },
  });
  const pipeline = p;
  const events = collect<EventEnvelope>(pipeline.nc, `${pipeline.prefix}.events.cosmos-ibc.>`);
  // Down one second in every three.
  let tick = 0;
  flapping = setInterval(() => {
    tick++;
    sim.setFault({ chainId: 'flappy-1' }, tick % 3 === 0 ? { kind: 'down' } : null);
  }, 1000);
  ingestor = spawnService('cosmos-ibc', pipeline.config);
  pipeline.services.push(ingestor);
  await ingestor.started();

  for (const id of ['healthy-1', 'slow-1', 'flappy-1'])
    await settled(pipeline, CLIENTS, `${CLIENTS} alerts of ${id}`, 240_000, id);
  const of = (type: string, chainId: string) =>
    events.items.filter((e) => e.type === type && e.chain_id === chainId);
  const broken = ['garbled-1', 'endless-1', 'html-1'];
  const errorsByChain = () =>
    JSON.stringify(Object.fromEntries(broken.map((id) => [id, of('endpoint_error', id).length])));
  await eventually(
    () => broken.every((id) => of('endpoint_error', id).length > 0),
    120_000,
    'an endpoint_error of each broken chain',
  ).catch((err: Error) => {
    throw new Error(`${err.message}; endpoint_error events by chain: ${errorsByChain()}`);
  });
  // Still scanning after all that: two more completed scans of the healthy chain.
  const scans = of('scan_completed', 'healthy-1').length;
  await eventually(
    () => of('scan_completed', 'healthy-1').length >= scans + 2,
    60_000,
    'two more scans',
  ).catch((err: Error) => {
    const byChain = ['healthy-1', 'slow-1', 'flappy-1', ...broken].map(
      (id) => `${id}: ${of('scan_completed', id).length}`,
    );
    const tail = ingestor!
      .output()
      .split('\n')
      .filter((l) => !l.includes('"level":30'))
      .slice(-8);
    throw new Error(
      `${err.message} of healthy-1; scan_completed by chain: ${byChain.join(', ')}; cosmos-ibc ${
        ingestor!.child.exitCode ?? ingestor!.child.signalCode ?? 'running'
      }:\n${tail.join('\n')}`,
    );
  });

  for (const id of ['healthy-1', 'slow-1', 'flappy-1']) {
    expect(await counts(pipeline, id), id).toMatchObject({
      notifications: CLIENTS,
      duplicateNotifications: 0,
      firing: CLIENTS,
      deliveries: CLIENTS,
      duplicateDeliveries: 0,
      undelivered: 0,
    });
  }
  for (const id of ['garbled-1', 'endless-1', 'html-1']) expect(of('client_status', id), id).toHaveLength(0);
  expect(hostile.requests('/endless')).toBeGreaterThan(0);
  for (const s of pipeline.services) expect(s.child.exitCode, s.name).toBe(null);
  events.stop();
});
