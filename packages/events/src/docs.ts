import { notification } from './alert.ts';
import { eventEnvelope } from './envelope.ts';
import type { EventDefinition } from './registry.ts';

const START = '<!-- generated:events:start (pnpm schemas) -->';
const END = '<!-- generated:events:end -->';

/** The chain an example envelope is about, per source (a fact about no chain says `-`). */
const EXAMPLE_CHAIN: Record<string, string> = {
  'cosmos-ibc': 'cosmoshub-4',
  'ics-ccv': 'cosmoshub-4',
  'subspace-blocks': 'autonomys-mainnet',
  'harmony-signers': 'harmony-mainnet',
};

/** The whole message of an example, as a subscriber receives it on the type's subject. */
export function exampleEnvelope(d: EventDefinition): Record<string, unknown> {
  const chain = EXAMPLE_CHAIN[d.source] ?? '-';
  const envelope = {
    id: '01JDQ5V4W7R5X2N8K3M9P6T1AB',
    source: d.source,
    type: d.type,
    version: d.version,
    chain_id: chain,
    instance: 'validator-eu-1',
    observed_at: '2026-11-20T12:00:00.000Z',
    dedup_key: `${chain}:${d.type}:<what identifies the fact>`,
    data: d.data.parse(d.example),
  };
  // The generator refuses an example that breaks the contract it documents.
  eventEnvelope.parse(envelope);
  return envelope;
}

/** A notification as the alerter publishes it on `<prefix>.alerts.critical.cosmos-ibc`, checked against the schema. */
export const EXAMPLE_NOTIFICATION = notification.parse({
  id: '01JDQ5V4W7R5X2N8K3M9P6T1AC',
  version: 1,
  key: '01JDQ5V4W7R5X2N8K3M9P6T1AD:firing',
  transition: 'firing',
  severity: 'critical',
  source: 'cosmos-ibc',
  group: {
    key: 'ibc-client-expired/cosmoshub-4',
    labels: { rule: 'ibc-client-expired', chain_id: 'cosmoshub-4' },
  },
  alerts: [
    {
      fingerprint: '5f0c8e2a9b7d4c11',
      episode_id: '01JDQ5V4W7R5X2N8K3M9P6T1AD',
      rule_id: 'ibc-client-expired',
      state: 'firing',
      severity: 'critical',
      source: 'cosmos-ibc',
      chain_id: 'cosmoshub-4',
      labels: { client_id: '07-tendermint-0', counterparty: 'osmosis-1' },
      summary: 'IBC client 07-tendermint-0 on cosmoshub-4 has expired',
      description:
        'Counterparty osmosis-1. Packets over its connections are stuck until the client is recovered.',
      started_at: '2026-11-20T12:00:02.000Z',
      event_id: '01JDQ5V4W7R5X2N8K3M9P6T1AB',
    },
  ],
  created_at: '2026-11-20T12:00:02.000Z',
});

const anchor = (d: EventDefinition) =>
  `${d.source}${d.type}-version-${d.version}`.replace(/[^a-z0-9_-]/g, '');
const firstSentence = (text: string) => (/^.*?[.!?](\s|$)/.exec(text)?.[0] ?? text).trim();

/** The per-type reference of docs/events.md, generated from the definitions so it cannot drift. */
export function eventReference(defs: EventDefinition[]): string {
  const sources = [...new Set(defs.map((d) => d.source))].sort();
  const sorted = sources.flatMap((s) =>
    defs.filter((x) => x.source === s).sort((a, b) => a.type.localeCompare(b.type)),
  );
  const out: string[] = [
    '### Every event subject',
    '',
    'One row per event type: its subject under `<prefix>.events.`, the current `version` of its `data`, and what it',
    'reports. Notifications travel on `<prefix>.alerts.<severity>.<source>` ([below](#notification-example)).',
    '',
    '| subject | version | what |',
    '|---|---|---|',
    ...sorted.map(
      (d) =>
        `| [\`<prefix>.events.${d.source}.${d.type}\`](#${anchor(d)}) | ${d.version} | ${firstSentence(d.description).replace(/\|/g, '\\|')} |`,
    ),
    '',
  ];
  for (const source of sources) {
    out.push(`### source \`${source}\``, '');
    for (const d of sorted.filter((x) => x.source === source)) {
      const schema = `${d.source}.${d.type}.v${d.version}.json`;
      out.push(
        `#### \`${d.source}.${d.type}\` (version ${d.version})`,
        '',
        d.description,
        '',
        `Subject \`<prefix>.events.${d.source}.${d.type}\` · schema [\`${schema}\`](../packages/events/schema/${schema})`,
        '',
        'Example message (the envelope as a subscriber receives it; `data` is what the schema defines):',
        '',
        '```json',
        JSON.stringify(exampleEnvelope(d), null, 2),
        '```',
        '',
      );
    }
  }
  out.push(
    '### Notification example',
    '',
    'On `<prefix>.alerts.critical.cosmos-ibc` ([`notification.json`](../packages/events/schema/notification.json)):',
    '',
    '```json',
    JSON.stringify(EXAMPLE_NOTIFICATION, null, 2),
    '```',
    '',
  );
  return out.join('\n');
}

export function replaceGenerated(doc: string, generated: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error('docs/events.md lacks the generated markers');
  return `${doc.slice(0, a + START.length)}\n${generated}\n${doc.slice(b)}`;
}
