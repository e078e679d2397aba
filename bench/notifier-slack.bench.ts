import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher } from '@tocsin/bus';
import type { Notification } from '@tocsin/events';
import { createLogger, startService } from '@tocsin/runtime';
import { renderNotification, slackClient, slackNotifier } from '../services/notifier-slack/src/index.ts';
// The bench package depends on neither the fake nor the service; reach them by path.
import { startFakeSlack } from '../tools/chat-fakes/src/index.ts';
import { benchEnv, natsUrl } from './src/env.ts';
import type { Benchmark } from './src/report.ts';
import { ibcNotification, inParallel } from './src/workload.ts';

/**
 * Issue 4: alerts/s the Slack notifier delivers to the fake Slack (no artificial latency): JetStream consume,
 * delivery log in PostgreSQL (attempt row, sent row, message link), Block Kit rendering, chat.postMessage with
 * metadata, stored message state. Baseline in the same run: the same pre-rendered payloads posted with
 * `WebClient.chat.postMessage` in a loop with the same concurrency, nothing else.
 */
const N = Number(process.env.BENCH_SLACK_ALERTS ?? 2000);
const BURST_N = Number(process.env.BENCH_SLACK_BURST_ALERTS ?? 500);
const CONCURRENCY = 32;
const TOKEN = 'xoxb-bench-token';
const CHANNEL = 'C0BENCH';

function notification(i: number): Notification {
  return ibcNotification(i, {
    rule: 'ibc-client-expiry-warning',
    summary: `client 07-tendermint-${i} at 80% of its trusting period`,
    description: 'Update the client before it expires, or the channels on it freeze.',
  });
}

interface Run {
  seconds: number;
  alerts: number;
  messages: number;
}

/** The whole notifier in this process against a fresh fake Slack, bus prefix and schema. */
async function throughService(
  nc: NatsConnection,
  tokenFile: string,
  count: number,
  rate: { burst: number; per: string },
): Promise<Run> {
  const fake = await startFakeSlack({ token: TOKEN });
  fake.addChannel({ id: CHANNEL, name: 'bench' });
  const env = await benchEnv('slack', 16);
  const svc = await startService(slackNotifier(), {
    env: { ...process.env, TOCSIN_CONFIG: '' },
    argv: [],
    config: {
      ...env.config,
      slack: {
        token_file: tokenFile,
        api_url: fake.url,
        default_channel: CHANNEL,
        rate,
        concurrency: CONCURRENCY,
      },
    },
  });
  try {
    const publisher = createPublisher({ nc, subjects: svc.ctx.subjects, instance: 'bench' });
    const items = Array.from({ length: count }, (_, i) => notification(i));
    const episodes = new Set(items.map((n) => n.alerts[0]!.episode_id));
    const t0 = performance.now();
    await inParallel(items.length, 64, (k) => publisher.publishNotification(items[k]!));
    // Done when every alert is in some message (one each, or in digests).
    for (;;) {
      const r = await svc.ctx.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM notify_deliveries WHERE notifier = 'slack' AND state = 'sent'",
      );
      if (Number(r.rows[0]!.n) >= count) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const messages = fake.messages(CHANNEL);
    const seen = new Set<string>();
    for (const m of messages) {
      for (const e of JSON.stringify(m.blocks).match(/01[0-9A-HJKMNP-TV-Z]{24}/g) ?? []) {
        if (episodes.has(e)) seen.add(e);
      }
    }
    if (seen.size !== count) throw new Error(`only ${seen.size} of ${count} alerts reached the fake Slack`);
    return { seconds, alerts: count, messages: messages.length };
  } finally {
    await svc.stop();
    await fake.close();
    await env.cleanup();
  }
}

/** Baseline: the same payloads, posted straight through the SDK with the same concurrency. */
async function rawLoop(count: number): Promise<Run> {
  const fake = await startFakeSlack({ token: TOKEN });
  fake.addChannel({ id: CHANNEL, name: 'bench' });
  try {
    const log = createLogger({ service: 'bench', instance: 'bench', level: 'warn' });
    const client = slackClient(TOKEN, { apiUrl: fake.url, timeoutMs: 10_000, rateLimitRetries: 0, log });
    const payloads = Array.from({ length: count }, (_, i) =>
      renderNotification(notification(i), { mentions: [] }),
    );
    const t0 = performance.now();
    await inParallel(payloads.length, CONCURRENCY, (k) =>
      client.chat.postMessage({
        channel: CHANNEL,
        text: payloads[k]!.text,
        blocks: payloads[k]!.blocks,
        username: 'tocsin',
        metadata: { event_type: 'tocsin_notification', event_payload: { attempt_id: 'x' } },
      }),
    );
    return {
      seconds: (performance.now() - t0) / 1000,
      alerts: count,
      messages: fake.messages(CHANNEL).length,
    };
  } finally {
    await fake.close();
  }
}

export default {
  name: 'notifier-slack',
  issue: 4,
  async run() {
    const nc = await connect({ servers: natsUrl });
    const dir = mkdtempSync(join(tmpdir(), 'bench-slack-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    try {
      await rawLoop(200); // warm up the SDK, fastify and the JIT
      const raw = await rawLoop(N);
      const svc = await throughService(nc, tokenFile, N, { burst: 1000, per: '1ms' });
      const rateRaw = raw.alerts / raw.seconds;
      const rateSvc = svc.alerts / svc.seconds;
      console.log(
        `  notifier: ${Math.round(rateSvc)} alerts/s; raw chat.postMessage: ${Math.round(rateRaw)}/s`,
      );
      const burst = await throughService(nc, tokenFile, BURST_N, { burst: 5, per: '5s' });
      console.log(
        `  burst at the default channel rate: ${burst.alerts} alerts in ${burst.messages} messages`,
      );
      return {
        figures: [
          {
            name: 'alerts/s delivered to the fake Slack (one message each)',
            value: rateSvc,
            unit: 'alerts/s',
            baseline: { name: 'raw WebClient.chat.postMessage loop, same payloads', value: rateRaw },
            ratio: rateSvc / rateRaw,
            note: `${N} firing alerts published to JetStream and delivered with the delivery log (PostgreSQL), concurrency ${CONCURRENCY}, channel rate unlimited; timed from first publish to last 'sent' row`,
          },
          {
            name: 'alerts/s in a burst at the default channel rate (5 per 5 s, digests)',
            value: burst.alerts / burst.seconds,
            unit: 'alerts/s',
            note: `${burst.alerts} alerts went out in ${burst.messages} messages (the rest of each burst coalesced into digests of up to 50), none dropped`,
          },
        ],
        environment: { alerts: N, burst_alerts: BURST_N },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await nc.close();
    }
  },
} satisfies Benchmark;
