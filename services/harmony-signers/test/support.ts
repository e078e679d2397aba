import { jetstreamManager } from '@nats-io/jetstream';
import type { EventEnvelope, harmonySigners } from '@tocsin/events';

type ReportRequest = harmonySigners.ReportRequest;

import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { collect, type TestEnv, testEnv } from '@tocsin/testkit';
import {
  type HarmonySigners,
  type HarmonySignersConfig,
  harmonySignersService,
  signersOf,
} from '../src/index.ts';

export const KEY_A = 'a1'.repeat(48);
export const KEY_B = 'b2'.repeat(48);
export const ALICE = 'discord:111111111111111111';
export const BOB = 'slack:U0BOB';
export const T0 = Date.parse('2026-12-03T18:00:00Z');

let seq = 0;
/** A valid report read from a node in `mode` with `keys`, at the clock's time. */
export function report(
  clock: ManualClock,
  hostname: string,
  node: { keys?: string[]; mode?: string; backup?: boolean } | { error: string },
  extra: Partial<ReportRequest> = {},
): ReportRequest {
  seq += 1;
  return {
    nonce: `n${String(seq).padStart(8, '0')}-${Math.random().toString(36).slice(2, 10)}`,
    hostname,
    validator_address: 'one1validatoraddress',
    reported_at: new Date(clock.now()).toISOString(),
    interval_s: 15,
    node:
      'error' in node
        ? { reachable: false, error: node.error }
        : {
            reachable: true,
            shard_id: 0,
            blskeys: node.keys ?? [KEY_A],
            mode: node.mode ?? 'Normal',
            is_backup: node.backup ?? false,
            peerid: `12D3KooW${hostname}`,
            block_number: 71_234_567,
          },
    ...extra,
  };
}

export interface SignersStack {
  env: TestEnv;
  clock: ManualClock;
  services: RunningService<HarmonySignersConfig>[];
  signers: HarmonySigners;
  /** Every event published on the core subject (duplicates included: JetStream drops them from the stream). */
  published: EventEnvelope[];
  /** The events the stream stored (each fact once). */
  stored(type?: string): Promise<EventEnvelope[]>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read nested JSON bodies
  post(body: unknown, token: string | null, replica?: number): Promise<{ status: number; json: any }>;
  stop(): Promise<void>;
}

export async function startSigners(
  name: string,
  section: Record<string, unknown> = {},
  replicas = 1,
): Promise<SignersStack> {
  const env = await testEnv(name);
  const clock = new ManualClock(T0);
  const nc = await env.nats();
  const collector = collect<EventEnvelope>(nc, `${env.prefix}.events.>`);
  await nc.flush();
  const services: RunningService<HarmonySignersConfig>[] = [];
  for (let i = 0; i < replicas; i++) {
    services.push(
      await startService(harmonySignersService, {
        env: env.env,
        clock,
        config: {
          ...env.config,
          instance: `replica-${i}`,
          harmony_signers: { sweep_interval: 0, ...section },
        },
      }),
    );
  }
  return {
    env,
    clock,
    services,
    signers: signersOf(services[0]!.ctx),
    published: collector.items,
    async stored(type) {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(env.subjects.streams.events);
      const out: EventEnvelope[] = [];
      for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
        const m = await jsm.streams.getMessage(env.subjects.streams.events, { seq: s }).catch(() => null);
        if (!m) continue;
        const e = m.json<EventEnvelope>();
        if (e.source === 'harmony-signers' && (!type || e.type === type)) out.push(e);
      }
      return out;
    },
    async post(body, token, replica = 0) {
      const res = await services[replica]!.ctx.http.inject({
        method: 'POST',
        url: '/v1/harmony/reports',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        payload: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.statusCode, json: res.json() };
    },
    async stop() {
      collector.stop();
      for (const s of services) await s.stop();
      await env.cleanup();
    },
  };
}
