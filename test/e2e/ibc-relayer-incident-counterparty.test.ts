import type { DiscordMessage } from '@tocsin/chat-fakes';
import type { ManualClock } from '@tocsin/runtime';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drained, type Harness } from '../../services/notifier-discord/test/harness.ts';
import type { InProcessAlerter } from '../support/alerter.ts';
import { type RelayerDiscord, startRelayerDiscord } from '../support/relayerDiscord.ts';
import { COUNTERPARTY } from '../support/relayerIncident.ts';

/**
 * The counterparty as the cause, on one ManualClock: sim-cosmos (40 clients of cosmoshub-4 toward osmosis-1, 9 h
 * from expiry; osmosis-1 stalls a minute in and resumes 20 minutes in) → cosmos-ibc watching both chains → alerter
 * (shipped rules; the shipped `ibc-relayer` incident, whose context rules include `cosmos-chain-stalled`) →
 * notifier-discord → the fake Discord. The clients are one incident message; when osmosis-1's scans show it has not
 * produced a block for 10 minutes, the stall is its own message and the incident's message is edited to name it as
 * the cause; when it produces blocks again, the stall resolves and the incident's message no longer names it.
 */
const MIN = 60_000;

let clock: ManualClock;
let alerter: InProcessAlerter;
let h: Harness;

let s: RelayerDiscord | undefined;
beforeAll(async () => {
  s = await startRelayerDiscord('ibc-incident-ctx', 'counterparty-stall');
  ({ clock, alerter, h } = s);
}, 60_000);
afterAll(() => s?.stop());

const scan = () => s!.scan();

const title = (m: DiscordMessage) => (m.embeds as { title?: string }[])[0]?.title ?? '';
const text = (m: DiscordMessage) => JSON.stringify(m.embeds);
const alertMessages = () => h.fake.messages(h.channels.alerts).filter((m) => m.embeds.length > 0);
const current = (id: string) => h.fake.messages(h.channels.alerts).find((m) => m.id === id);

describe('sim-cosmos → cosmos-ibc → alerter → Discord: the counterparty stalled is the incident’s cause', () => {
  let head: DiscordMessage;

  it('40 expiring clients toward osmosis-1: one incident message, osmosis-1 healthy', async () => {
    await scan();
    const firing = await alerter.handle.alerter.alerts({ state: 'firing', limit: 1000 });
    expect(firing.filter((a) => a.rule_id === 'ibc-client-expiry-imminent')).toHaveLength(40);
    expect(firing.filter((a) => a.chain_id === COUNTERPARTY)).toEqual([]);
    const heads = await eventually(
      () => {
        const l = alertMessages().filter((m) => title(m).includes('incident'));
        return l.length ? l : undefined;
      },
      20_000,
      'the incident message',
    );
    head = heads![0]!;
    expect(title(head)).toMatch(
      /^🔴 FIRING · incident · IBC client 07-tendermint-\d+ on cosmoshub-4 expires in 9h/,
    );
    await drained(h);
  });

  it('osmosis-1 stalled: its own message, and the incident message edited to name it as the cause', async () => {
    // Five minutes in, its last block (a minute in) is 4 minutes old: not stalled yet.
    clock.advance(5 * MIN);
    await scan();
    expect(
      (await alerter.handle.alerter.alerts({ state: 'firing', limit: 1000 })).filter(
        (a) => a.rule_id === 'cosmos-chain-stalled',
      ),
    ).toEqual([]);
    // Fifteen minutes in (and the 4 s each settle lets the timers run): 14 m 8 s without a block.
    clock.advance(10 * MIN);
    await scan();
    const edited = await eventually(
      () => {
        const m = current(head.id);
        return m?.edited_timestamp && title(m).includes('has not produced a block') ? m : undefined;
      },
      20_000,
      'the incident message edited, the stalled chain first',
    );
    await drained(h);
    expect(`${title(edited!)}\n${(edited!.embeds as { description?: string }[])[0]!.description}`).toMatch(
      /osmosis-1 has not produced a block for 14m 8s; clients 07-tendermint-0\.\.39 toward it expire in 8h 4\dm/,
    );
    // Cause first: the stalled chain, then the 40 clients.
    const fields = (edited!.embeds as { fields?: { name: string; value: string }[] }[]).flatMap(
      (e) => e.fields ?? [],
    );
    expect(JSON.stringify(fields[0])).toContain('osmosis-1 has not produced a block');
    expect(fields.filter((f) => JSON.stringify(f).includes('07-tendermint-'))).toHaveLength(40);
    // The stall is chain-wide: its own message too (the only other one), not a second incident message.
    const others = alertMessages().filter((m) => title(m) !== '' && m.id !== head.id);
    expect(others.map(title)).toEqual([
      expect.stringMatching(/osmosis-1 has not produced a block for 14m 8s/),
    ]);
    expect(title(others[0]!)).not.toContain('incident');
    expect(alertMessages().filter((m) => title(m).includes('incident'))).toHaveLength(1);
    // Its own message was left as it was (the incident's edits are not taken for its message).
    expect(text(others[0]!)).not.toContain('07-tendermint-');
  });

  it('osmosis-1 produces blocks again: the stall resolves, the incident message no longer names it', async () => {
    const stalledMsg = alertMessages().find((m) => m.id !== head.id && title(m) !== '')!;
    // Resumed 20 minutes in; scanned at 25.
    clock.advance(10 * MIN);
    await scan();
    await eventually(
      () => {
        const m = current(head.id);
        return m && !text(m).includes('has not produced a block') ? m : undefined;
      },
      20_000,
      'the incident message edited back to its clients',
    );
    const resolved = await eventually(
      () => {
        const m = current(stalledMsg.id);
        return m && /RESOLVED/.test(title(m)) ? m : undefined;
      },
      20_000,
      'the stall message marked resolved',
    );
    await drained(h);
    expect(title(resolved!)).toContain('osmosis-1');
    expect(title(current(head.id)!)).toMatch(
      /^🔴 FIRING · incident · IBC client 07-tendermint-\d+ on cosmoshub-4/,
    );
    expect(alertMessages().filter((m) => title(m).includes('incident'))).toHaveLength(1);
  });
});
