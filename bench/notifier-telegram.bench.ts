import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher } from '@tocsin/bus';
import type { Notification } from '@tocsin/events';
import { startService } from '@tocsin/runtime';
import {
  renderMessage,
  telegramBot,
  telegramConfig,
  telegramNotifier,
} from '../services/notifier-telegram/src/index.ts';
// The bench package depends on neither the fake nor the service; reach them by path.
import { startFakeTelegram } from '../tools/chat-fakes/src/index.ts';
import { benchEnv, natsUrl } from './src/env.ts';
import type { Benchmark } from './src/report.ts';
import { ibcNotification, inParallel } from './src/workload.ts';

/**
 * Issue 15: alerts/s the Telegram notifier delivers to the fake Bot API through the real grammY: JetStream consume,
 * delivery log in PostgreSQL (attempt row, message id recorded as soon as known, sent row, message link), HTML
 * rendering, sendMessage with the inline keyboard, stored message state. Twice: with Telegram's pace lifted (every
 * alert its own message), and at Telegram's default group pace (1 message per 3 s: bursts become digests).
 * Baseline in the same run: the same pre-rendered messages sent with grammY's `api.sendMessage` in a loop with the
 * same concurrency, nothing else.
 */
const N = Number(process.env.BENCH_TELEGRAM_ALERTS ?? 2000);
const PACED_N = Number(process.env.BENCH_TELEGRAM_PACED_ALERTS ?? 120);
const CONCURRENCY = 32;
const TOKEN = '7000000001:bench-token';
const CHAT = -1001000000001;

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

const fakeApi = () => startFakeTelegram({ token: TOKEN, chats: [{ id: CHAT, type: 'supergroup' }] });

/** The whole notifier in this process against a fresh fake Bot API, bus prefix and schema. */
async function throughService(
  nc: NatsConnection,
  tokenFile: string,
  count: number,
  group: { burst: number; per: string },
): Promise<Run> {
  const fake = await fakeApi();
  const env = await benchEnv('telegram', 16);
  const svc = await startService(telegramNotifier(), {
    env: { ...process.env, TOCSIN_CONFIG: '' },
    argv: [],
    config: {
      ...env.config,
      telegram: {
        token_file: tokenFile,
        api_root: fake.url,
        chats: [{ chat_id: CHAT }],
        commands: false,
        rate: { group },
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
    for (;;) {
      const r = await svc.ctx.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM notify_deliveries WHERE notifier = 'telegram' AND state = 'sent'",
      );
      if (Number(r.rows[0]!.n) >= count) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const messages = fake.botMessages(CHAT);
    const seen = new Set<string>();
    for (const m of messages) {
      for (const e of m.text.match(/01[0-9A-HJKMNP-TV-Z]{24}/g) ?? []) if (episodes.has(e)) seen.add(e);
    }
    if (seen.size !== count) throw new Error(`only ${seen.size} of ${count} alerts reached the fake Bot API`);
    return { seconds, alerts: count, messages: messages.length };
  } finally {
    await svc.stop();
    await fake.close();
    await env.cleanup();
  }
}

/** Baseline: the same messages, sent straight through grammY with the same concurrency. */
async function rawLoop(count: number): Promise<Run> {
  const fake = await fakeApi();
  try {
    const cfg = telegramConfig.parse({ token_file: '-', api_root: fake.url });
    const bot = telegramBot(TOKEN, cfg);
    const render = { mentions: [], explorers: [] };
    const texts = Array.from({ length: count }, (_, i) =>
      renderMessage({ notification: notification(i) }, render),
    );
    const t0 = performance.now();
    await inParallel(texts.length, CONCURRENCY, (k) =>
      bot.api.sendMessage(CHAT, texts[k]!, {
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
      }),
    );
    return {
      seconds: (performance.now() - t0) / 1000,
      alerts: count,
      messages: fake.botMessages(CHAT).length,
    };
  } finally {
    await fake.close();
  }
}

export default {
  name: 'notifier-telegram',
  issue: 15,
  async run() {
    const nc = await connect({ servers: natsUrl });
    const dir = mkdtempSync(join(tmpdir(), 'bench-telegram-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    try {
      await rawLoop(200); // warm up grammY, fastify and the JIT
      const raw = await rawLoop(N);
      const lifted = await throughService(nc, tokenFile, N, { burst: 1000, per: '1ms' });
      const rateRaw = raw.alerts / raw.seconds;
      const rateSvc = lifted.alerts / lifted.seconds;
      console.log(
        `  notifier, pace lifted: ${Math.round(rateSvc)} alerts/s; raw grammY sendMessage: ${Math.round(rateRaw)}/s`,
      );
      const paced = await throughService(nc, tokenFile, PACED_N, { burst: 1, per: '3s' });
      const ratePaced = paced.alerts / paced.seconds;
      console.log(
        `  notifier at Telegram's group pace: ${paced.alerts} alerts in ${paced.messages} messages, ${ratePaced.toFixed(1)} alerts/s`,
      );
      return {
        figures: [
          {
            name: 'alerts/s delivered to the fake Bot API, pace lifted (one message each)',
            value: rateSvc,
            unit: 'alerts/s',
            baseline: { name: 'raw grammY api.sendMessage loop, same messages', value: rateRaw },
            ratio: rateSvc / rateRaw,
            note: `${N} firing alerts published to JetStream and delivered with the delivery log (PostgreSQL), concurrency ${CONCURRENCY}, rate 1000 per 1 ms; timed from first publish to last 'sent' row`,
          },
          {
            name: "alerts/s at Telegram's default group pace (1 message per 3 s, digests of up to 15)",
            value: ratePaced,
            unit: 'alerts/s',
            baseline: { name: 'raw grammY api.sendMessage loop, same messages (unpaced)', value: rateRaw },
            ratio: ratePaced / rateRaw,
            note: `${paced.alerts} alerts went out in ${paced.messages} messages (a burst into one group), none dropped; Telegram allows about 20 messages a minute in a group, so this is bounded by the pace, not by tocsin`,
          },
        ],
        environment: { alerts: N, paced_alerts: PACED_N },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await nc.close();
    }
  },
} satisfies Benchmark;
