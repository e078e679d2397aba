import type { Notification } from '@tocsin/events';
import { eventually } from '@tocsin/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, firing, type Harness, startHarness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness('slack-incident');
});
afterAll(async () => {
  await h.close();
});

describe('an incident in Slack', () => {
  it('is one message: a later firing that lists the announced members edits it (cause first), posts nothing', async () => {
    const incident = (summary: string) => ({ id: 'ibc-relayer', summary });
    const group = {
      key: 'cosmos-ibc:incident-1',
      labels: { incident: 'ibc-relayer', counterparty: 'osmosis-1' },
    };
    const c0 = firing({}, { summary: 'IBC client 07-tendermint-0 on cosmoshub-4 expires in 9h' }).alerts[0]!;
    const c1 = firing({}, { summary: 'IBC client 07-tendermint-1 on cosmoshub-4 expires in 9h' }).alerts[0]!;
    const first: Notification = {
      ...firing({ group, incident: incident('IBC client 07-tendermint-0 expires in 9h; also 1 alert(s)') }),
      alerts: [c0, c1],
    };
    await h.publisher.publishNotification(first);
    const top = () => h.fake.messages(CHANNELS.alerts).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    const original = await eventually(
      () => top().find((m) => JSON.stringify(m.blocks).includes('incident ·')),
      15_000,
      'the incident message',
    );

    const wallet = firing({}, { summary: 'Wallet cosmos1abc on cosmoshub-4 will be empty in 40m' })
      .alerts[0]!;
    const summary = 'Wallet cosmos1abc on cosmoshub-4 will be empty in 40m; also 2 alert(s) toward osmosis-1';
    const grown: Notification = {
      ...firing({ group, incident: incident(summary) }),
      alerts: [wallet, c0, c1],
    };
    await h.publisher.publishNotification(grown);
    const edited = await eventually(
      () => {
        const m = h.fake.messages(CHANNELS.alerts).find((x) => x.ts === original!.ts);
        return m?.edited && JSON.stringify(m.blocks).includes('Wallet cosmos1abc') ? m : undefined;
      },
      15_000,
      'the incident message edited',
    );
    expect(edited!.blocks?.[0]).toMatchObject({
      type: 'header',
      text: { text: `🟠 Firing: incident · ${summary}` },
    });
    expect(JSON.stringify(edited!.blocks?.[1])).toContain(summary);
    // One top-level message, no thread reply.
    expect(top().filter((m) => JSON.stringify(m.blocks).includes('incident ·'))).toHaveLength(1);
    expect(h.fake.thread(CHANNELS.alerts, original!.ts)).toEqual([]);
  });
});
