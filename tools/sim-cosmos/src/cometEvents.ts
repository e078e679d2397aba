import { createHash } from 'node:crypto';
import { type BlockSource, blockIdJson, blockJson } from './cometJson.ts';
import type { EventMap } from './eventQuery.ts';

export type AbciAttributes = Record<string, string> | { key: string; value: string }[];

/** An ABCI event as an app emits it, e.g. `{ type: 'update_client', attributes: { client_id: '07-tendermint-0' } }`. */
export interface AbciEvent {
  type: string;
  attributes: AbciAttributes;
}

/** What a subscriber receives as `result.data` plus the indexed `result.events` the query is matched against. */
export interface CometEvent {
  data: { type: string; value: unknown };
  events: EventMap;
}

const attributeList = (a: AbciAttributes) =>
  Array.isArray(a) ? a : Object.entries(a).map(([key, value]) => ({ key, value }));

function indexEvents(events: AbciEvent[], reserved: EventMap): EventMap {
  const map: EventMap = { ...reserved };
  for (const e of events) {
    for (const { key, value } of attributeList(e.attributes)) {
      if (!e.type || !key) continue;
      const k = `${e.type}.${key}`;
      map[k] = [...(map[k] ?? []), value];
    }
  }
  return map;
}

const toJson = (events: AbciEvent[]) =>
  events.map((e) => ({
    type: e.type,
    attributes: attributeList(e.attributes).map(({ key, value }) => ({ key, value, index: true })),
  }));

export interface TxEventInput {
  events: AbciEvent[];
  /** Raw tx bytes; a unique placeholder when omitted (cosmjs hashes it, so it must not be empty). */
  tx?: Uint8Array;
  code?: number;
  height?: number;
}

let txCounter = 0;

export function txEvent(chain: BlockSource, height: number, input: TxEventInput): CometEvent {
  const tx = input.tx ?? new TextEncoder().encode(`tocsin-sim-tx:${chain.chainId}:${height}:${++txCounter}`);
  const hash = createHash('sha256').update(tx).digest('hex').toUpperCase();
  const result: Record<string, unknown> = {
    data: null,
    log: '',
    info: '',
    gas_wanted: '200000',
    gas_used: '150000',
    events: toJson(input.events),
  };
  // gogoproto omits a zero code in JSON.
  if (input.code) result.code = input.code;
  return {
    data: {
      type: 'tendermint/event/Tx',
      value: {
        TxResult: { height: String(height), index: 0, tx: Buffer.from(tx).toString('base64'), result },
      },
    },
    events: indexEvents(input.events, {
      'tm.event': ['Tx'],
      'tx.hash': [hash],
      'tx.height': [String(height)],
    }),
  };
}

export function newBlockEvent(chain: BlockSource, height: number, events: AbciEvent[] = []): CometEvent {
  return {
    data: {
      type: 'tendermint/event/NewBlock',
      value: {
        block: blockJson(chain, height),
        block_id: blockIdJson(chain, height),
        result_finalize_block: {
          events: toJson(events),
          tx_results: [],
          validator_updates: [],
          app_hash: Buffer.from(blockIdJson(chain, height).hash, 'hex').toString('base64'),
        },
      },
    },
    events: indexEvents(events, { 'tm.event': ['NewBlock'] }),
  };
}

/** The events ibc-go emits for a MsgUpdateClient tx, so an ingestor watching `update_client` sees it. */
export function updateClientEvents(clientId: string, clientType: string, height: string): AbciEvent[] {
  return [
    {
      type: 'message',
      attributes: {
        action: '/ibc.core.client.v1.MsgUpdateClient',
        sender: 'cosmos1simrelayer',
        module: 'ibc_client',
        msg_index: '0',
      },
    },
    {
      type: 'update_client',
      attributes: {
        client_id: clientId,
        client_type: clientType,
        consensus_height: height,
        consensus_heights: height,
        msg_index: '0',
      },
    },
  ];
}
