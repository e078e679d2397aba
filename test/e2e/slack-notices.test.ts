import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { createPublisher, type Publisher } from '@tocsin/bus';
import { type FakeSlack, startFakeSlack } from '@tocsin/chat-fakes';
import { cosmosIbc, system } from '@tocsin/events';
import { slackNotifier } from '@tocsin/notifier-slack';
import { ManualClock, type RunningService, startService } from '@tocsin/runtime';
import { eventually, type TestEnv, testEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessAlerter, startAlerter } from '../support/alerter.ts';

/**
 * What a new user sees in Slack for the messages that are not plain alerts: the startup notice of a service and a
 * wallet alert without a projection. Real alerter (shipped default rules) → real notifier-slack → the fake Slack.
 */
const TOKEN = 'xoxb-chat-notices-0000';
const CHANNEL = 'C0NOTICES';
const HUB = 'cosmoshub-4';

let env: TestEnv;
let dir: string;
let fake: FakeSlack;
let clock: ManualClock;
let alerter: InProcessAlerter;
let slack: RunningService;
let nc: NatsConnection;
let publisher: Publisher;

beforeAll(async () => {
  env = await testEnv('chat-notices');
  dir = mkdtempSync(join(tmpdir(), 'tocsin-notices-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN);
  chmodSync(tokenFile, 0o600);
  fake = await startFakeSlack({ token: TOKEN });
  fake.addChannel({ id: CHANNEL, name: 'alerts' });
  clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));
  alerter = await startAlerter(env, clock);
  slack = await startService(slackNotifier(), {
    argv: [],
    env: env.env,
    clock,
    config: {
      ...env.config,
      slack: {
        token_file: tokenFile,
        api_url: fake.url,
        default_channel: CHANNEL,
        rate: { burst: 100, per: '1s' },
      },
    },
  });
  nc = await env.nats();
  publisher = createPublisher({ nc, subjects: env.subjects, instance: 'node-a' });
});
afterAll(async () => {
  await slack?.stop();
  await alerter?.running.stop();
  await fake?.close();
  await env?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const settle = () => alerter.settle(nc);

type Block = { type: string; text?: { text: string }; fields?: { text: string }[] };
/** Every text a message shows (header, sections, fields, context). */
function shown(blocks: unknown[] | undefined): string[] {
  const out: string[] = [];
  for (const b of (blocks ?? []) as (Block & { elements?: { text?: string }[] })[]) {
    if (b.text) out.push(b.text.text);
    for (const f of b.fields ?? []) out.push(f.text);
    for (const e of b.elements ?? []) if (e.text && typeof e.text === 'string') out.push(e.text);
  }
  return out;
}

async function posted(containing: string) {
  return eventually(
    () => fake.messages(CHANNEL).find((m) => shown(m.blocks).some((t) => t.includes(containing))),
    20_000,
    `a Slack message showing "${containing}"`,
  );
}

describe('startup notice', () => {
  it('reads as a notice: no resolve or duration, no empty sender fields, what it watches as lines', async () => {
    await publisher.publish(system.serviceStarted, {
      chain_id: '-',
      dedup_key: 'cosmos-ibc:node-a:1',
      data: {
        service: 'cosmos-ibc',
        version: '0.1.0',
        watches: [
          { chain_id: HUB, endpoints: ['https://rpc.example.org'], height: 23_456_789, detail: 'Cosmos Hub' },
          {
            chain_id: 'osmosis-1',
            endpoints: ['https://a.example.org', 'https://b.example.org'],
            height: null,
          },
        ],
      },
      observed_at: new Date(clock.now()),
    });
    await settle();
    const m = await posted('cosmos-ibc 0.1.0 started (node-a)');
    const texts = shown(m!.blocks);
    expect(texts[0]).toBe('🔵 Notice: cosmos-ibc 0.1.0 started (node-a)');
    const all = texts.join('\n');
    expect(all).not.toMatch(/Resolved|after 0s|✅/);
    expect(all).not.toContain('sender_');
    expect(all).not.toContain('[{');
    expect(texts).toContain(
      'Watching:\n• cosmoshub-4 at height 23456789 via https://rpc.example.org — Cosmos Hub\n' +
        '• osmosis-1 (height not read yet) via https://a.example.org, https://b.example.org',
    );
    expect(m!.text).toMatch(/^🔵 Notice: /);
  });
});

describe('wallet below its threshold', () => {
  const wallet = (address: string, burn: number | null) => ({
    address,
    denom: 'uatom',
    display_denom: 'ATOM',
    amount: '1000000',
    display_amount: 1,
    burn_per_hour: burn,
    projected_empty_at: null,
    projected_empty_s: null,
    subscribers: [{ owner: 'slack:U0ALICE', threshold: 2 }],
  });

  it('says plainly when the balance is not going down, and when the burn rate is not known yet', async () => {
    const still = 'cosmos1stillstillstillstillstillstillstill00';
    const fresh = 'cosmos1freshfreshfreshfreshfreshfreshfresh00';
    for (const [address, burn] of [
      [still, 0],
      [fresh, null],
    ] as const) {
      clock.advance(1000);
      await publisher.publish(cosmosIbc.walletBalance, {
        chain_id: HUB,
        dedup_key: `${address}:1`,
        data: wallet(address, burn),
        observed_at: new Date(clock.now()),
      });
      // One at a time: two in one batch would be one grouped message, which lists summaries only.
      await settle();
    }
    const texts = async (address: string) => shown((await posted(`Wallet ${address}`))!.blocks).join('\n');
    const a = await texts(still);
    expect(a).toContain(
      'Threshold set by slack:U0ALICE. Its balance is not going down, so it is not projected to run empty.',
    );
    const b = await texts(fresh);
    expect(b).toContain(
      'Threshold set by slack:U0ALICE. Its burn rate is not known yet (too few balances seen).',
    );
    expect(`${a}\n${b}`).not.toContain('unknown until empty');
  });
});
