import { callRpc } from '@tocsin/bus';
import type { DiscordMessage } from '@tocsin/chat-fakes';
import type { ManualClock } from '@tocsin/runtime';
import { eventually, type TestEnv } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, type Harness } from '../../services/notifier-discord/test/harness.ts';
import type { InProcessAlerter } from '../support/alerter.ts';
import { type RelayerDiscord, startRelayerDiscord } from '../support/relayerDiscord.ts';
import { HUB, RELAYER } from '../support/relayerIncident.ts';

/**
 * The IBC incident scenario on one ManualClock: sim-cosmos (40 clients 9 h from expiry, the relayer wallet empty in
 * under an hour) → cosmos-ibc → alerter (shipped rules and its shipped `ibc-relayer` correlation) → notifier-discord
 * → the fake Discord. The clients fire at the first scan (one incident message); the wallet's burn rate is known at
 * the second, 10 minutes later: the same message is edited to name the wallet as the cause.
 */
const OWNER = 'discord:111111111111111111';

let env: TestEnv;
let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;

let s: RelayerDiscord | undefined;
beforeAll(async () => {
  s = await startRelayerDiscord('ibc-incident');
  ({ env, clock, alerter, h } = s);
}, 60_000);
afterAll(() => s?.stop());

const scan = () => s!.scan();

const title = (m: DiscordMessage) => (m.embeds as { title?: string }[])[0]?.title ?? '';
const alertMessages = () => h.fake.messages(h.channels.alerts).filter((m) => m.embeds.length > 0);

describe('sim-cosmos → cosmos-ibc → alerter → Discord: one incident for relayer trouble', () => {
  it('40 expiring clients, then the draining relayer wallet: one message, edited, the wallet first', async () => {
    await scan();
    const firing = await alerter.handle.alerter.alerts({ state: 'firing', limit: 1000 });
    expect(firing.filter((a) => a.rule_id === 'ibc-client-expiry-imminent')).toHaveLength(40);
    // The clients are one incident message at once (the wallet's burn rate is not known yet: one balance seen).
    const heads = await eventually(
      () => {
        const l = alertMessages().filter((m) => title(m).includes('incident'));
        return l.length ? l : undefined;
      },
      20_000,
      'the incident message',
    );
    const head = heads![0];
    expect(title(head!)).toMatch(
      /^🔴 FIRING · incident · IBC client 07-tendermint-\d+ on cosmoshub-4 expires in 9h/,
    );
    await drained(h);

    // Ten minutes later the wallet's burn rate is known: it empties long before the clients expire.
    clock.advance(600_000);
    await scan();
    const edited = await eventually(
      () => {
        const m = h.fake.messages(h.channels.alerts).find((x) => x.id === head!.id);
        return m?.edited_timestamp && title(m).includes('relayer wallet') ? m : undefined;
      },
      20_000,
      'the incident message edited, the wallet first',
    );
    await drained(h);
    // The same message now names the wallet as the cause (its burn-rate ETA is before the clients' expiry), then
    // the clients it ties.
    const description = (edited!.embeds as { description?: string }[])[0]!.description!;
    expect(`${title(edited!)}\n${description}`).toMatch(
      new RegExp(
        `clients 07-tendermint-0\\.\\.39 expire in 8h 49m; the relayer wallet ${RELAYER} empties in 39m 56s at the current burn rate`,
      ),
    );
    // The alerts are listed cause first; every message posted is this incident (its parts), nothing else.
    const fields = alertMessages().flatMap((m) =>
      (m.embeds as { fields?: { name: string; value: string }[] }[]).flatMap((e) => e.fields ?? []),
    );
    expect(JSON.stringify(fields[0])).toContain(RELAYER);
    expect(fields.filter((f) => JSON.stringify(f).includes('07-tendermint-'))).toHaveLength(40);
    expect(alertMessages().filter((m) => title(m) !== '' && m.id !== head!.id)).toEqual([]);
  });

  it('an alert joining the incident later edits its message instead of posting another', async () => {
    const [head] = alertMessages().filter((m) => title(m).includes('incident'));
    const before = JSON.stringify(head!.embeds);
    expect(before).not.toContain('below 100');
    // Someone registers the relayer wallet with a threshold above its balance: a new alert of the same incident.
    await callRpc(h.nc, env.subjects.rpc('alerter', 'subscribe'), {
      owner: OWNER,
      target: RELAYER,
      chain_id: HUB,
      threshold: 100,
    });
    clock.advance(600_000);
    await scan();
    const edited = await eventually(
      () => {
        const m = h.fake.messages(h.channels.alerts).find((x) => x.id === head!.id);
        return m && JSON.stringify(m.embeds).includes('below 100') ? m : undefined;
      },
      20_000,
      'the incident message edited with the new alert',
    );
    await drained(h);
    expect(title(edited!)).toMatch(
      /^🔴 FIRING · incident · clients 07-tendermint-0\.\.39 expire in .*; the relayer wallet /,
    );
    // Still one incident message, no new one.
    expect(alertMessages().filter((m) => title(m).includes('incident'))).toHaveLength(1);
    expect(alertMessages().filter((m) => title(m) !== '' && m.id !== head!.id)).toEqual([]);
  });
});
