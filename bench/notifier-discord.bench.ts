import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createPublisher } from '@tocsin/bus';
import { cosmosIbc, type Notification, newId, subjects } from '@tocsin/events';
import { type RunningService, startService } from '@tocsin/runtime';
import { createAlerterService } from '../services/alerter/src/index.ts';
import { discordNotifier, loginBot, renderCard } from '../services/notifier-discord/src/index.ts';
// The bench package depends on neither the fake, the services nor discord.js; reach them by path.
import { type FakeDiscord, startFakeDiscord } from '../tools/chat-fakes/src/index.ts';
import { benchEnv, natsUrl } from './src/env.ts';
import { type Benchmark, percentile } from './src/report.ts';
import { clientStatusData, ibcNotification, inParallel } from './src/workload.ts';

/**
 * Issue 4, Discord: (1) alerts/s the notifier delivers to the fake Discord with no artificial latency — JetStream
 * consume, delivery log in PostgreSQL, rendering, discord.js REST (nonce + enforce_nonce), stored cards — against
 * a raw discord.js `channel.send` loop of the same pre-rendered payloads to the same kind of fake, in the same run;
 * (2) a burst at Discord's real channel rate (digests); (3) event → Discord message latency p50/p99 through the
 * whole stack (JetStream → alerter with its default rules → JetStream → notifier → fake Discord), beside
 * notification → message latency (the notifier alone) measured the same way.
 */
const N = Number(process.env.BENCH_DISCORD_ALERTS ?? 2000);
const BURST_N = Number(process.env.BENCH_DISCORD_BURST_ALERTS ?? 500);
const LATENCY_RATE = Number(process.env.BENCH_DISCORD_LATENCY_RATE ?? 50);
const LATENCY_SECONDS = Number(process.env.BENCH_DISCORD_LATENCY_S ?? 10);
const CONCURRENCY = 32;
const TOKEN = 'bench-bot-token-0123456789';

function notification(i: number, tag: string): Notification {
  return ibcNotification(i, {
    rule: 'ibc-client-expiring',
    summary: `IBC client 07-tendermint-${i} on cosmoshub-4 is 83% through its trusting period ${tag}`,
    description: '58h left before it expires (trusting period 14d). A relayer must update it before then.',
    value: 0.83,
  });
}

async function fakeWithChannel(): Promise<{ fake: FakeDiscord; guild: string; channel: string }> {
  const fake = await startFakeDiscord({ token: TOKEN, echoMessages: false });
  const guild = fake.addGuild({ channels: [{ name: 'alerts' }] });
  return { fake, guild: guild.id, channel: guild.channels[0]!.id };
}

interface Run {
  seconds: number;
  alerts: number;
  messages: number;
}

/** Baseline: the same payloads, rendered beforehand, through discord.js `channel.send` with the same concurrency. */
async function rawLoop(count: number, rps: number): Promise<Run> {
  const { fake, channel } = await fakeWithChannel();
  const client = await loginBot({ token: TOKEN, apiUrl: fake.url, globalRequestsPerSecond: rps });
  try {
    const ch = await client.channels.fetch(channel);
    if (!ch?.isSendable()) throw new Error('no channel');
    const opts = { mentions: [], explorers: [], buttons: true };
    const payloads = Array.from({ length: count }, (_, i) => {
      const n = notification(i, 'raw');
      return renderCard({ notifications: [n], refs: [n.key.slice(0, 12)] }, opts)[0]!;
    });
    const t0 = performance.now();
    await inParallel(payloads.length, CONCURRENCY, (k) =>
      ch.send({
        embeds: payloads[k]!.embeds,
        ...(payloads[k]!.components ? { components: payloads[k]!.components } : {}),
        allowedMentions: { parse: [] },
      }),
    );
    return {
      seconds: (performance.now() - t0) / 1000,
      alerts: count,
      messages: fake.messages(channel).length,
    };
  } finally {
    await client.destroy();
    await fake.close();
  }
}

interface Stack {
  fake: FakeDiscord;
  channel: string;
  notifier: RunningService;
  alerter?: RunningService;
  prefix: string;
  stop(): Promise<void>;
}

/** A fresh prefix and schema with the notifier (and optionally the alerter) on a fresh fake Discord. */
async function startStack(
  _nc: NatsConnection,
  tokenFile: string,
  opts: { rate: { burst: number; per: string }; rps: number; alerter?: boolean },
): Promise<Stack> {
  const { fake, guild, channel } = await fakeWithChannel();
  const env = await benchEnv('discord', 16);
  const common = env.config;
  const base = { env: { PATH: process.env.PATH }, argv: [] as string[] };
  const alerter = opts.alerter
    ? await startService(createAlerterService(), {
        ...base,
        config: {
          ...common,
          alerter: {
            // group_wait and priority_wait are deliberate delays (30 s and 2 s by default): without them here, and
            // without grouping, so each new alert is one notification.
            defaults: { group_by: ['...'], group_wait: 0, priority_wait: 0 },
            incidents: [{ id: 'ibc-relayer', enabled: false }],
            rules: [{ id: 'service-silent', enabled: false }],
          },
        },
      })
    : undefined;
  const notifier = await startService(discordNotifier, {
    ...base,
    config: {
      ...common,
      discord: {
        token_file: tokenFile,
        api_url: fake.url,
        guild_id: guild,
        default_channel: channel,
        commands: false,
        rate: opts.rate,
        concurrency: CONCURRENCY,
        global_requests_per_second: opts.rps,
      },
    },
  });
  return {
    fake,
    channel,
    notifier,
    ...(alerter ? { alerter } : {}),
    prefix: env.prefix,
    async stop() {
      await notifier.stop();
      await alerter?.stop();
      await fake.close();
      await env.cleanup();
    },
  };
}

async function throughService(
  nc: NatsConnection,
  tokenFile: string,
  count: number,
  rate: { burst: number; per: string },
  rps: number,
): Promise<Run> {
  const s = await startStack(nc, tokenFile, { rate, rps });
  try {
    const publisher = createPublisher({ nc, subjects: subjects(s.prefix), instance: 'bench' });
    const tag = newId();
    const items = Array.from({ length: count }, (_, i) => notification(i, tag));
    const t0 = performance.now();
    await inParallel(items.length, 64, (k) => publisher.publishNotification(items[k]!));
    for (;;) {
      const r = await s.notifier.ctx.pool.query<{ n: string }>(
        "SELECT count(*) AS n FROM notify_deliveries WHERE notifier = 'discord' AND state = 'sent'",
      );
      if (Number(r.rows[0]!.n) >= count) break;
      await new Promise((res) => setTimeout(res, 5));
    }
    const seconds = (performance.now() - t0) / 1000;
    const messages = s.fake.messages(s.channel);
    const shown = new Set<string>();
    for (const m of messages) {
      for (const c of JSON.stringify(m.embeds).match(/07-tendermint-\d+ on/g) ?? []) shown.add(c);
    }
    if (shown.size !== count)
      throw new Error(`only ${shown.size} of ${count} alerts reached the fake Discord`);
    return { seconds, alerts: count, messages: messages.length };
  } finally {
    await s.stop();
  }
}

/**
 * Publishes at a steady rate and measures publish → the fake Discord receiving the message's POST, matched by
 * client id. `publish(i)` sends what makes the alert about `07-tendermint-<i>`.
 */
async function latency(s: Stack, publish: (i: number) => Promise<unknown>) {
  const sentAt = new Map<string, number>();
  const total = LATENCY_RATE * (LATENCY_SECONDS + 1);
  const warmup = LATENCY_RATE;
  const start = Date.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / LATENCY_RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i >= warmup) sentAt.set(`07-tendermint-${i}`, Date.now());
    await publish(i);
  }
  const deadline = Date.now() + 20_000;
  const received = () => {
    const at = new Map<string, number>();
    for (const r of s.fake.requests({ method: 'POST', path: `/channels/${s.channel}/messages` })) {
      const m = /IBC client (07-tendermint-\d+) on/.exec(JSON.stringify(r.body));
      if (m && !at.has(m[1]!)) at.set(m[1]!, r.at);
    }
    return at;
  };
  let at = received();
  while ([...sentAt.keys()].some((k) => !at.has(k)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    at = received();
  }
  const lat = [...sentAt].flatMap(([k, t]) => (at.has(k) ? [at.get(k)! - t] : [])).sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), count: lat.length, expected: sentAt.size };
}

export default {
  name: 'notifier-discord',
  issue: 4,
  async run() {
    const nc = await connect({ servers: natsUrl });
    const dir = mkdtempSync(join(tmpdir(), 'bench-discord-'));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
    const unlimited = { burst: 50, per: '1ms' };
    // discord.js paces every request to 50/s by default (Discord's global limit for a bot); LIFTED shows what the
    // notifier itself costs.
    const PACED = 50;
    const LIFTED = 10_000;
    try {
      await rawLoop(200, LIFTED); // warm up discord.js, fastify and the JIT
      const raw = await rawLoop(N, LIFTED);
      const svc = await throughService(nc, tokenFile, N, unlimited, LIFTED);
      const rateRaw = raw.alerts / raw.seconds;
      const rateSvc = svc.alerts / svc.seconds;
      console.log(
        `  notifier: ${Math.round(rateSvc)} alerts/s; raw channel.send: ${Math.round(rateRaw)}/s (pace lifted)`,
      );
      const pacedN = Math.min(N, 500);
      const rawPaced = await rawLoop(pacedN, PACED);
      const svcPaced = await throughService(nc, tokenFile, pacedN, unlimited, PACED);
      const ratePacedRaw = rawPaced.alerts / rawPaced.seconds;
      const ratePaced = svcPaced.alerts / svcPaced.seconds;
      console.log(
        `  at discord.js's 50 requests/s: ${Math.round(ratePaced)} alerts/s; raw ${Math.round(ratePacedRaw)}/s`,
      );

      const burst = await throughService(nc, tokenFile, BURST_N, { burst: 5, per: '5s' }, PACED);
      console.log(`  burst at Discord's channel rate: ${burst.alerts} alerts in ${burst.messages} messages`);

      // Notification → message: the notifier alone.
      const alone = await startStack(nc, tokenFile, { rate: unlimited, rps: LIFTED });
      let notifierOnly: Awaited<ReturnType<typeof latency>>;
      try {
        const publisher = createPublisher({ nc, subjects: subjects(alone.prefix), instance: 'bench' });
        notifierOnly = await latency(alone, (i) => publisher.publishNotification(notification(i, 'lat')));
      } finally {
        await alone.stop();
      }

      // Event → message: the whole stack (the alerter's default ibc-client-expiring rule fires for each client).
      const full = await startStack(nc, tokenFile, { rate: unlimited, rps: LIFTED, alerter: true });
      let endToEnd: Awaited<ReturnType<typeof latency>>;
      try {
        const publisher = createPublisher({ nc, subjects: subjects(full.prefix), instance: 'bench' });
        const elapsed = 1_000_000;
        endToEnd = await latency(full, (i) =>
          publisher.publish(cosmosIbc.clientStatus, {
            chain_id: 'cosmoshub-4',
            dedup_key: `lat${i}`,
            data: clientStatusData(i, elapsed),
          }),
        );
      } finally {
        await full.stop();
      }
      console.log(
        `  latency event → message p50 ${endToEnd.p50} ms p99 ${endToEnd.p99} ms; notification → message p50 ${notifierOnly.p50} ms p99 ${notifierOnly.p99} ms`,
      );

      return {
        figures: [
          {
            name: 'alerts/s delivered to the fake Discord (one message each, discord.js pace lifted)',
            value: rateSvc,
            unit: 'alerts/s',
            baseline: { name: 'raw discord.js channel.send loop, same payloads', value: rateRaw },
            ratio: rateSvc / rateRaw,
            note: `${N} firing alerts published to JetStream and delivered with the delivery log (PostgreSQL) and stored cards, concurrency ${CONCURRENCY}, channel rate unlimited; timed from first publish to last 'sent' row. discord.js sends one request at a time per channel route in both`,
          },
          {
            name: "alerts/s delivered at discord.js's default pace (50 requests/s, Discord's global bot limit)",
            value: ratePaced,
            unit: 'alerts/s',
            baseline: { name: 'raw discord.js channel.send loop at the same pace', value: ratePacedRaw },
            ratio: ratePaced / ratePacedRaw,
            note: `${pacedN} alerts; what a bot gets from real Discord without a raised global limit (the first figure lifts discord.js's pace to ${LIFTED}/s in both, to show the notifier's own cost)`,
          },
          {
            name: "alerts/s in a burst at Discord's channel rate (5 per 5 s, digests)",
            value: burst.alerts / burst.seconds,
            unit: 'alerts/s',
            note: `${burst.alerts} alerts went out in ${burst.messages} messages (the rest of each burst coalesced into digests of up to 50), none dropped`,
          },
          {
            name: `event → fake-Discord message latency p50 at ${LATENCY_RATE} events/s (whole stack)`,
            value: endToEnd.p50,
            unit: 'ms',
            baseline: { name: 'notification → message (notifier alone)', value: notifierOnly.p50 },
            ratio: endToEnd.p50 / notifierOnly.p50,
            note: `${endToEnd.count}/${endToEnd.expected} alerts measured (discord.js pace lifted); client_status events → alerter (default rules, group_wait 0, priority_wait 0, no grouping) → notifier → fake Discord POST; ratio: higher is slower`,
          },
          {
            name: `event → fake-Discord message latency p99 at ${LATENCY_RATE} events/s (whole stack)`,
            value: endToEnd.p99,
            unit: 'ms',
            baseline: { name: 'notification → message (notifier alone)', value: notifierOnly.p99 },
            ratio: endToEnd.p99 / notifierOnly.p99,
            note: `${notifierOnly.count}/${notifierOnly.expected} measured for the baseline`,
          },
        ],
        environment: {
          alerts: N,
          burst_alerts: BURST_N,
          latency_rate: LATENCY_RATE,
          latency_s: LATENCY_SECONDS,
        },
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await nc.close();
    }
  },
} satisfies Benchmark;
