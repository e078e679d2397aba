import type { Logger } from '@tocsin/runtime';
import type { AbciEvent, TxNotice } from './websocket.ts';

/** x/provider v6–v7 message events tocsin turns into facts, with the attribute keys each carries (PROTOCOLS §3.3). */
const KNOWN: Record<string, string[]> = {
  create_consumer: [
    'consumer_name',
    'submitter_address',
    'consumer_owner',
    'consumer_spawn_time',
    'consumer_phase',
  ],
  update_consumer: [
    'submitter_address',
    'consumer_name',
    'consumer_spawn_time',
    'consumer_topn',
    'consumer_owner',
    'consumer_phase',
  ],
  remove_consumer: ['submitter_address'],
  opt_in: ['provider_validator_address', 'consumer_consensus_pub_key', 'submitter_address'],
  opt_out: ['provider_validator_address', 'submitter_address'],
  assign_consumer_key: ['provider_validator_address', 'consumer_consensus_pub_key', 'submitter_address'],
};
const COMMON = ['module', 'consumer_id', 'consumer_chain_id', 'chain_id', 'msg_index', 'mode'];
/** Provider events tocsin knows and does not report (yet). */
const IGNORED = new Set([
  'set_consumer_commission_rate',
  'change_consumer_reward_denom',
  'submit_consumer_misbehaviour',
  'submit_consumer_double_voting',
  'consumer_client_created',
  'execute_consumer_chain_slash',
  'received_ics_rewards',
  'distributed_ics_rewards',
]);

export interface TxFact {
  kind: keyof typeof KNOWN;
  consumerId: string;
  chainId: string;
  height: number;
  attributes: Record<string, string>;
}

/**
 * Reads the provider facts of one Tx. Failed txs are skipped. An unknown attribute of a known event, or an unknown
 * event of the provider module, is logged once per (event, key) and otherwise passed through in `attributes`.
 */
export function txFacts(tx: TxNotice, log: Logger, seenUnknown: Set<string>): TxFact[] {
  if (tx.code !== 0) return [];
  const facts: TxFact[] = [];
  for (const e of tx.events) {
    const attributes = attributesOf(e);
    const known = KNOWN[e.type];
    if (!known) {
      if (attributes.module === 'provider' && !IGNORED.has(e.type))
        once(
          log,
          seenUnknown,
          `event:${e.type}`,
          { event: e.type, attributes },
          'unknown provider event type; passed over',
        );
      continue;
    }
    for (const key of Object.keys(attributes)) {
      if (!known.includes(key) && !COMMON.includes(key))
        once(
          log,
          seenUnknown,
          `attr:${e.type}.${key}`,
          { event: e.type, key },
          'unknown provider event attribute; passed through raw',
        );
    }
    const consumerId = attributes.consumer_id;
    if (consumerId === undefined) {
      // ICS v5 events carry no consumer id: the consumer is found by the re-sync they trigger.
      once(
        log,
        seenUnknown,
        `noid:${e.type}`,
        { event: e.type },
        'provider event without consumer_id (ICS v5?); re-syncing instead',
      );
      continue;
    }
    facts.push({
      kind: e.type as TxFact['kind'],
      consumerId,
      chainId: attributes.consumer_chain_id ?? attributes.chain_id ?? '',
      height: tx.height,
      attributes,
    });
  }
  return facts;
}

function attributesOf(e: AbciEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of e.attributes) out[a.key] = a.value;
  return out;
}

function once(log: Logger, seen: Set<string>, key: string, fields: Record<string, unknown>, msg: string) {
  if (seen.has(key)) return;
  seen.add(key);
  log.warn(fields, msg);
}

/** `2026-12-01 00:01:20 +0000 UTC` (Go time.Time.String()) or RFC 3339 → ISO; null for the zero time or garbage. */
export function parseGoTime(s: string | undefined): string | null {
  if (!s) return null;
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)? \+0000 UTC$/.exec(s.trim());
  const iso = m ? `${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ''}Z` : s.trim();
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || iso.startsWith('0001-01-01')) return null;
  return new Date(ms).toISOString();
}

/** A consumer key attribute: the JSON of the proto Any ({"@type": ..., "key": base64}) → the base64 key. */
export function consumerKeyOf(attr: string | undefined): string | null {
  if (!attr) return null;
  try {
    const parsed = JSON.parse(attr) as { key?: unknown };
    return typeof parsed.key === 'string' ? parsed.key : attr;
  } catch {
    return attr;
  }
}
