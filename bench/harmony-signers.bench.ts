import { loadavg } from 'node:os';
import { startService } from '@tocsin/runtime';
import autocannon from 'autocannon';
import Fastify from 'fastify';
// The bench package does not depend on the service; reach it by path (as cosmos-ibc.bench.ts does).
import { harmonySignersService, signersOf } from '../services/harmony-signers/src/index.ts';
import { benchEnv } from './src/env.ts';
import type { Benchmark, Figure } from './src/report.ts';
import { round } from './src/report.ts';

/**
 * Issue 11: report intake of harmony-signers (`POST /v1/harmony/reports`: bearer token, rate limit, zod body,
 * PostgreSQL history and host state, detection under per-key locks, NATS publish of signer_report; concurrent reports
 * batched into one transaction, default `intake` settings) with autocannon, a 2xx only after the commit. Baseline in the same run and process: a bare fastify route answering 204. 100 hosts in main/backup
 * pairs sharing a key (the backups in Syncing), 20 tokens, every request a fresh nonce.
 */
const DURATION_S = Number(process.env.HARMONY_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.HARMONY_BENCH_CONNECTIONS ?? 50);
/** A second, wider run: intake is bound by round trips, not CPU, so more reports in flight make larger batches. */
const WIDE_CONNECTIONS = Number(process.env.HARMONY_BENCH_WIDE_CONNECTIONS ?? 200);
const HOSTS = 100;
const TOKENS = 20;

async function cannon(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

const bench: Benchmark = {
  name: 'harmony-signers report intake',
  issue: 11,
  async run() {
    // Baseline: the same HTTP stack with nothing behind it.
    const bare = Fastify();
    bare.post('/v1/harmony/reports', async (_req, reply) => reply.code(204).send());
    const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
    await cannon({ url: bareUrl, duration: 2, connections: CONNECTIONS });
    const baseline = (connections: number) =>
      cannon({
        url: `${bareUrl}/v1/harmony/reports`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        duration: DURATION_S,
        connections,
      });
    const base = await baseline(CONNECTIONS);
    const baseWide = await baseline(WIDE_CONNECTIONS);
    await bare.close();

    const env = await benchEnv('harmony', 20);
    const service = await startService(harmonySignersService, {
      env: { ...process.env, TOCSIN_CONFIG: '' },
      config: {
        ...env.config,
        log: { level: 'error' },
        harmony_signers: { sweep_interval: 0, rate_limit: { max: 1_000_000_000, window: '1m' } },
      },
    });
    try {
      const tokens: string[] = [];
      for (let i = 0; i < TOKENS; i++)
        tokens.push(
          (await signersOf(service.ctx).tokens.create('discord:100000000000000000', `bench ${i}`)).token,
        );
      let n = 0;
      const body = () => {
        n += 1;
        const host = n % HOSTS;
        const key = (Math.floor(host / 2) + 1).toString(16).padStart(96, '0');
        return {
          token: tokens[host % TOKENS]!,
          json: JSON.stringify({
            nonce: `bench-${process.pid}-${n.toString(36).padStart(12, '0')}`,
            hostname: `host-${host}`,
            validator_address: `one1bench${Math.floor(host / 2)}`,
            reported_at: new Date().toISOString(),
            interval_s: 15,
            node: {
              reachable: true,
              shard_id: 0,
              blskeys: [key],
              mode: host % 2 === 0 ? 'Normal' : 'Syncing',
              is_backup: host % 2 === 1,
              peerid: `12D3KooW${host}`,
              block_number: 71_234_567 + n,
            },
          }),
        };
      };
      const request = {
        method: 'POST' as const,
        path: '/v1/harmony/reports',
        setupRequest: (req: autocannon.Request) => {
          const b = body();
          return {
            ...req,
            body: b.json,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${b.token}` },
          };
        },
      };
      await cannon({ url: service.url, duration: 2, connections: CONNECTIONS, requests: [request] });
      const load = loadavg()[0]!;
      const res = await cannon({
        url: service.url,
        duration: DURATION_S,
        connections: CONNECTIONS,
        requests: [request],
      });
      const loadWide = loadavg()[0]!;
      const wide = await cannon({
        url: service.url,
        duration: DURATION_S,
        connections: WIDE_CONNECTIONS,
        requests: [request],
      });
      const ok = res['2xx'];
      const perSecond = ok / DURATION_S;
      const basePerSecond = base['2xx'] / DURATION_S;
      const figures: Figure[] = [
        {
          name: 'reports accepted per second',
          value: round(perSecond, 0),
          unit: 'reports/s',
          baseline: { name: 'bare fastify route returning 204', value: round(basePerSecond, 0) },
          ratio: round(perSecond / basePerSecond, 3),
          target: '>= 5000 reports/s',
          met: perSecond >= 5000,
          note: `${CONNECTIONS} connections, ${DURATION_S} s; non-2xx ${res.non2xx}, errors ${res.errors}, timeouts ${res.timeouts}`,
        },
        {
          name: 'p99 latency',
          value: res.latency.p99,
          unit: 'ms',
          baseline: { name: 'bare fastify route returning 204', value: base.latency.p99 },
          ratio: round(res.latency.p99 / Math.max(base.latency.p99, 1), 2),
          target: '< 50 ms',
          met: res.latency.p99 < 50,
          note: `p50 ${res.latency.p50} ms (baseline ${base.latency.p50} ms); ratio = intake / baseline (lower is better)`,
        },
        {
          name: `reports accepted per second, ${WIDE_CONNECTIONS} connections`,
          value: round(wide['2xx'] / DURATION_S, 0),
          unit: 'reports/s',
          baseline: {
            name: 'bare fastify route returning 204',
            value: round(baseWide['2xx'] / DURATION_S, 0),
          },
          ratio: round(wide['2xx'] / Math.max(baseWide['2xx'], 1), 3),
          note: `p99 ${wide.latency.p99} ms, p50 ${wide.latency.p50} ms (baseline p99 ${baseWide.latency.p99} ms); non-2xx ${wide.non2xx}, errors ${wide.errors}; load ${round(loadWide, 1)}`,
        },
      ];
      return { figures, environment: { load_1m: round(load, 2), connections: CONNECTIONS } };
    } finally {
      await service.stop();
      await env.cleanup();
    }
  },
};
export default bench;
