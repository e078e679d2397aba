import { createHash } from 'node:crypto';
import { MSG_OPT_IN_TYPE_URL, MsgOptIn } from '@tocsin/ics-proto';
import { type AbciEvent, type CometEvent, matchesEventQuery, parseEventQuery } from '@tocsin/sim-cosmos';
import { BaseAccount } from 'cosmjs-types/cosmos/auth/v1beta1/auth';
import { QueryAccountRequest, QueryAccountResponse } from 'cosmjs-types/cosmos/auth/v1beta1/query';
import { TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx';
import type { AbciResult } from './abciRoutes.ts';
import type { ProviderModel } from './providerModel.ts';

interface StoredTx {
  hash: string;
  height: number;
  tx: Uint8Array;
  code: number;
  log: string;
  events: AbciEvent[];
}

/**
 * Signed transactions, for the opt-in automation: accounts (number and sequence), `broadcast_tx_sync` of a MsgOptIn
 * (applied at once, as if in the next block; signatures are not verified), and the Tx index `tx_search` reads
 * (every delivered Tx, timeline ones too). Any other message is refused with code 2 (tx parse error, unknown
 * message).
 */
export class TxLedger {
  private readonly sequences = new Map<string, bigint>();
  private readonly indexed: CometEvent[] = [];

  constructor(private readonly model: ProviderModel) {}

  account(data: Uint8Array): AbciResult {
    const { address } = QueryAccountRequest.decode(data);
    // Below 2^31, as on real chains: cosmjs-types' writer mangles uint64 values from 2^31 up (2^31 decodes as 0,
    // 2^32 - 1 as a truncated varint), which made half of the random test wallets fail to sign.
    const accountNumber = BigInt(createHash('sha256').update(address).digest().readUInt32BE(0) % 1_000_000);
    const account = BaseAccount.fromPartial({
      address,
      accountNumber,
      sequence: this.sequences.get(address) ?? 0n,
    });
    const value = QueryAccountResponse.encode({
      account: { typeUrl: '/cosmos.auth.v1beta1.BaseAccount', value: BaseAccount.encode(account).finish() },
    }).finish();
    return { code: 0, log: '', codespace: '', value };
  }

  /** Applies the tx's MsgOptIns; returns the stored tx (its events go to the websocket subscribers). */
  broadcast(txB64: string, height: number): StoredTx {
    const tx = Buffer.from(txB64, 'base64');
    const hash = createHash('sha256').update(tx).digest('hex').toUpperCase();
    const stored: StoredTx = { hash, height, tx, code: 0, log: '', events: [] };
    try {
      const body = TxBody.decode(TxRaw.decode(tx).bodyBytes);
      for (const m of body.messages) {
        if (m.typeUrl !== MSG_OPT_IN_TYPE_URL) throw new Error(`unknown message ${m.typeUrl}`);
        const msg = MsgOptIn.decode(m.value);
        const v = [...this.model.validators.values()].find((x) => x.operatorAddress === msg.providerAddr);
        if (!v) throw new Error(`unknown validator ${msg.providerAddr}`);
        stored.events.push(
          ...this.model.optIn(msg.consumerId, v.moniker, msg.consumerKey || undefined, msg.signer),
        );
        this.sequences.set(msg.signer, (this.sequences.get(msg.signer) ?? 0n) + 1n);
      }
    } catch (err) {
      stored.code = 2;
      stored.log = (err as Error).message;
      stored.events = [];
    }
    return stored;
  }

  /** Every Tx the provider delivered (timeline ones too), as CometBFT's tx indexer keeps them. */
  index(event: CometEvent): void {
    this.indexed.push(event);
  }

  /**
   * `tx_search`: the event query (`tx.hash='…'`, `opt_in.consumer_id='0' AND tx.height<=1234`, …) over every
   * indexed Tx, `order_by` asc (default) or desc, `per_page` (default 30) of page `page`.
   */
  search(p: Record<string, unknown>) {
    const query = parseEventQuery(String(p.query ?? ''));
    const matches = this.indexed.filter((e) => matchesEventQuery(query, e.events));
    if (String(p.order_by ?? '') === 'desc') matches.reverse();
    const perPage = Math.min(100, Number(p.per_page ?? 30) || 30);
    const page = Math.max(1, Number(p.page ?? 1) || 1);
    return {
      total_count: String(matches.length),
      txs: matches.slice((page - 1) * perPage, page * perPage).map((e) => {
        const r = (
          e.data.value as { TxResult: { height: string; tx: string; result: Record<string, unknown> } }
        ).TxResult;
        return {
          hash: e.events['tx.hash']![0],
          height: r.height,
          index: 0,
          tx: r.tx,
          tx_result: { code: 0, codespace: '', ...r.result },
        };
      }),
    };
  }
}
