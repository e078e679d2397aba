import { createHash } from 'node:crypto';
import { MSG_OPT_IN_TYPE_URL, MsgOptIn } from '@tocsin/ics-proto';
import type { AbciEvent } from '@tocsin/sim-cosmos';
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

const attributeList = (a: AbciEvent['attributes']) =>
  Array.isArray(a) ? a : Object.entries(a).map(([key, value]) => ({ key, value }));

/**
 * Signed transactions, for the opt-in automation: accounts (number and sequence), `broadcast_tx_sync` of a MsgOptIn
 * (applied at once, as if in the next block; signatures are not verified) and `tx_search` by hash. Any other
 * message is refused with code 2 (tx parse error, unknown message).
 */
export class TxLedger {
  private readonly sequences = new Map<string, bigint>();
  private readonly txs = new Map<string, StoredTx>();

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
    this.txs.set(hash, stored);
    return stored;
  }

  /** `tx_search` with `tx.hash='<HEX>'`, the only query cosmjs' getTx sends. */
  search(query: string) {
    const hash = /tx\.hash\s*=\s*'([0-9A-Fa-f]+)'/.exec(query)?.[1]?.toUpperCase();
    const t = hash ? this.txs.get(hash) : undefined;
    return {
      total_count: t ? '1' : '0',
      txs: t
        ? [
            {
              hash: t.hash,
              height: String(t.height),
              index: 0,
              tx: Buffer.from(t.tx).toString('base64'),
              tx_result: {
                code: t.code,
                data: null,
                log: t.log,
                info: '',
                gas_wanted: '200000',
                gas_used: '150000',
                events: t.events.map((e) => ({
                  type: e.type,
                  attributes: attributeList(e.attributes).map((a) => ({ ...a, index: true })),
                })),
                codespace: t.code ? 'sdk' : '',
              },
            },
          ]
        : [],
    };
  }
}
