import { createHash } from 'node:crypto';
import { toBech32 } from '@cosmjs/encoding';
import type { AbciEvent } from '@tocsin/sim-cosmos';
import { fakeHash } from '@tocsin/sim-cosmos';
import { type ConsumerValidator, consumerValSetOf, sendValSetChanges } from './consumerChains.ts';
import type { ConsumerAtStart, Scenario } from './scenario.ts';

/** Go's zero time.Time (0001-01-01T00:00:00Z) in Unix seconds: what ICS resets a failed launch's spawn time to. */
export const ZERO_TIME_UNIX_S = -62135596800n;

export type Phase = 'REGISTERED' | 'INITIALIZED' | 'LAUNCHED' | 'STOPPED' | 'DELETED';

export interface SimValidator {
  moniker: string;
  operatorAddress: string;
  accountAddress: string;
  consensusPubkey: Uint8Array;
  /** valcons of the provider consensus key: what opted-in lists and events carry. */
  consAddress: string;
  tokens: bigint;
  /** Token changes by provider height (timeline `set_tokens`), for queries at a past height. */
  tokenHistory: { height: number; tokens: bigint }[];
  status: 'bonded' | 'unbonding' | 'unbonded';
  jailed: boolean;
}

export interface SimConsumer {
  consumerId: string;
  chainId: string;
  name: string;
  owner: string;
  phase: Phase;
  /** ms since epoch; null = the zero time (never set, or reset by a failed launch). */
  spawnTimeMs: number | null;
  topN: number;
  clientId: string;
  /** valcons addresses, in opt-in order. */
  optedIn: string[];
  /** valcons → base64 ed25519 consumer key. */
  keys: Map<string, string>;
  initialValSet: { pubKey: Uint8Array; power: bigint }[];
  /** The validator set the provider last sent in a VSC packet (what QueryConsumerValidators answers). */
  providerValSet: ConsumerValidator[];
  /** The validator set the consumer runs: the provider's once the relayer delivered the packet. */
  consumerValSet: ConsumerValidator[];
  stoppedAtMs: number | null;
  /** When it launched: its own chain (served at /<chain_id>) produces blocks from then on. */
  launchedAtMs: number | null;
  /** Its chain stopped producing blocks at this time (timeline `halt_consumer`). */
  haltedAtMs: number | null;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

export function makeValidator(v: Scenario['validators'][number]): SimValidator {
  const id = fakeHash('validator', v.moniker).subarray(0, 20);
  const consensusPubkey = Uint8Array.from(fakeHash('consensus-key', v.moniker));
  return {
    moniker: v.moniker,
    operatorAddress: toBech32('cosmosvaloper', id),
    accountAddress: toBech32('cosmos', id),
    consensusPubkey,
    consAddress: toBech32('cosmosvalcons', sha256(consensusPubkey).subarray(0, 20)),
    tokens: BigInt(v.tokens),
    tokenHistory: [{ height: 0, tokens: BigInt(v.tokens) }],
    status: v.status,
    jailed: v.jailed,
  };
}

/** The consensus address a consumer key gives (ed25519: first 20 bytes of its sha256). */
export const consumerConsAddress = (keyB64: string) =>
  toBech32('cosmosvalcons', sha256(Buffer.from(keyB64, 'base64')).subarray(0, 20));

/** Go's `time.Time.String()` in UTC, as ICS puts spawn times in event attributes. */
export function goTimeString(ms: number | null): string {
  if (ms === null) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

/**
 * The provider's state and its transitions, each returning the ABCI events x/provider v6–v7 emits (✅
 * x/ccv/provider/keeper/msg_server.go), so the simulator only has to wrap them into Tx or NewBlock events.
 */
export class ProviderModel {
  readonly validators = new Map<string, SimValidator>();
  readonly consumers = new Map<string, SimConsumer>();
  /** false (timeline `set_relayer`): VSC packets wait on the provider; the consumers' sets go stale. */
  relayerRunning = true;
  private nextId = 0;
  private nextClient = 0;

  constructor(readonly scenario: Scenario) {
    for (const v of scenario.validators) this.validators.set(v.moniker, makeValidator(v));
  }

  validator(moniker: string): SimValidator {
    const v = this.validators.get(moniker);
    if (!v) throw new Error(`unknown validator ${moniker}`);
    return v;
  }

  /** Delegations changed: the validator has `tokens` from block `height` on. */
  setTokens(moniker: string, tokens: bigint, height: number): void {
    const v = this.validator(moniker);
    v.tokens = tokens;
    v.tokenHistory.push({ height, tokens });
  }

  /** The validator's tokens in the state after block `height`. */
  tokensAt(v: SimValidator, height: number): bigint {
    return v.tokenHistory.findLast((t) => t.height <= height)?.tokens ?? v.tokens;
  }

  consumer(id: string): SimConsumer {
    const c = this.consumers.get(id);
    if (!c) throw new Error(`unknown consumer ${id}`);
    return c;
  }

  /** A consumer present when the simulator starts (no event). */
  seed(c: ConsumerAtStart, nowMs: number): SimConsumer {
    const consumer = this.newConsumer(c.chain_id, c.name, c.owner, c.top_n, spawnAt(c.spawn_in_s, nowMs));
    consumer.phase = c.phase;
    for (const m of c.opted_in) consumer.optedIn.push(this.validator(m).consAddress);
    for (const [m, key] of Object.entries(c.keys)) consumer.keys.set(this.validator(m).consAddress, key);
    if (c.phase === 'LAUNCHED' || c.phase === 'STOPPED') this.launch(consumer, nowMs);
    if (c.phase === 'STOPPED') consumer.stoppedAtMs = nowMs;
    return consumer;
  }

  private newConsumer(
    chainId: string,
    name: string | undefined,
    owner: string,
    topN: number,
    spawn: number | null,
  ) {
    const consumer: SimConsumer = {
      consumerId: String(this.nextId++),
      chainId,
      name: name ?? chainId,
      owner,
      phase: spawn === null ? 'REGISTERED' : 'INITIALIZED',
      spawnTimeMs: spawn,
      topN,
      clientId: '',
      optedIn: [],
      keys: new Map(),
      initialValSet: [],
      providerValSet: [],
      consumerValSet: [],
      stoppedAtMs: null,
      launchedAtMs: null,
      haltedAtMs: null,
    };
    this.consumers.set(consumer.consumerId, consumer);
    return consumer;
  }

  create(
    a: { chain_id: string; name?: string; owner: string; top_n: number; spawn_in_s?: number },
    nowMs: number,
  ) {
    const c = this.newConsumer(a.chain_id, a.name, a.owner, a.top_n, spawnAt(a.spawn_in_s, nowMs));
    const attributes: Record<string, string> = {
      module: 'provider',
      consumer_id: c.consumerId,
      consumer_chain_id: c.chainId,
      consumer_name: c.name,
      submitter_address: a.owner,
      consumer_owner: c.owner,
    };
    if (c.phase === 'INITIALIZED') attributes.consumer_spawn_time = goTimeString(c.spawnTimeMs);
    attributes.consumer_phase = phaseEnum(c.phase);
    return this.txEvents('MsgCreateConsumer', a.owner, { type: 'create_consumer', attributes });
  }

  update(
    a: { consumer_id: string; name?: string; spawn_in_s?: number; top_n?: number; owner?: string },
    nowMs: number,
  ) {
    const c = this.consumer(a.consumer_id);
    const submitter = c.owner;
    const attributes: Record<string, string> = {
      module: 'provider',
      consumer_id: c.consumerId,
      consumer_chain_id: c.chainId,
      submitter_address: submitter,
    };
    if (a.name !== undefined) {
      c.name = a.name;
      attributes.consumer_name = a.name;
    }
    if (a.spawn_in_s !== undefined) {
      c.spawnTimeMs = spawnAt(a.spawn_in_s, nowMs);
      attributes.consumer_spawn_time = goTimeString(c.spawnTimeMs);
      if (c.phase === 'REGISTERED') c.phase = 'INITIALIZED';
    }
    if (a.top_n !== undefined) {
      c.topN = a.top_n;
      attributes.consumer_topn = String(a.top_n);
    }
    if (a.owner !== undefined) c.owner = a.owner;
    attributes.consumer_owner = c.owner;
    attributes.consumer_phase = phaseEnum(c.phase);
    return this.txEvents('MsgUpdateConsumer', submitter, { type: 'update_consumer', attributes });
  }

  remove(consumerId: string, nowMs: number) {
    const c = this.consumer(consumerId);
    if (c.phase !== 'LAUNCHED')
      throw new Error(`consumer ${consumerId} is ${c.phase}; only LAUNCHED can be removed`);
    c.phase = 'STOPPED';
    c.stoppedAtMs = nowMs;
    return this.txEvents('MsgRemoveConsumer', c.owner, {
      type: 'remove_consumer',
      attributes: {
        module: 'provider',
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        submitter_address: c.owner,
      },
    });
  }

  optIn(consumerId: string, moniker: string, consumerKey?: string, submitter?: string) {
    const c = this.consumer(consumerId);
    const v = this.validator(moniker);
    const sender = submitter ?? v.accountAddress;
    if (!c.optedIn.includes(v.consAddress)) c.optedIn.push(v.consAddress);
    if (consumerKey) c.keys.set(v.consAddress, consumerKey);
    return this.txEvents('MsgOptIn', sender, {
      type: 'opt_in',
      attributes: {
        module: 'provider',
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        provider_validator_address: v.consAddress,
        consumer_consensus_pub_key: consumerKey ? anyKeyJson(consumerKey) : '',
        submitter_address: sender,
      },
    });
  }

  optOut(consumerId: string, moniker: string) {
    const c = this.consumer(consumerId);
    const v = this.validator(moniker);
    c.optedIn = c.optedIn.filter((a) => a !== v.consAddress);
    return this.txEvents('MsgOptOut', v.accountAddress, {
      type: 'opt_out',
      attributes: {
        module: 'provider',
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        provider_validator_address: v.consAddress,
        submitter_address: v.accountAddress,
      },
    });
  }

  assignKey(consumerId: string, moniker: string, consumerKey: string) {
    const c = this.consumer(consumerId);
    const v = this.validator(moniker);
    c.keys.set(v.consAddress, consumerKey);
    return this.txEvents('MsgAssignConsumerKey', v.accountAddress, {
      type: 'assign_consumer_key',
      attributes: {
        module: 'provider',
        consumer_id: c.consumerId,
        consumer_chain_id: c.chainId,
        provider_validator_address: v.consAddress,
        consumer_consensus_pub_key: anyKeyJson(consumerKey),
        submitter_address: v.accountAddress,
      },
    });
  }

  /**
   * BeginBlock of a block at `blockTimeMs`: INITIALIZED consumers whose spawn time passed launch (when a validator
   * opted in) or go back to REGISTERED with the zero spawn time; STOPPED ones past the removal delay are deleted.
   * Only a launch emits anything, a block event (`consumer_client_created`), never a Tx.
   */
  beginBlock(blockTimeMs: number, height: number): AbciEvent[] {
    const events: AbciEvent[] = [];
    for (const c of this.consumers.values()) {
      if (c.phase === 'INITIALIZED' && c.spawnTimeMs !== null && c.spawnTimeMs <= blockTimeMs) {
        if (!c.optedIn.length) {
          c.phase = 'REGISTERED';
          c.spawnTimeMs = null;
          continue;
        }
        this.launch(c, blockTimeMs);
        events.push({
          type: 'consumer_client_created',
          attributes: {
            module: 'provider',
            consumer_id: c.consumerId,
            consumer_chain_id: c.chainId,
            client_id: c.clientId,
            initial_height: '1-1',
            trusting_period: '336h0m0s',
            unbonding_period: '480h0m0s',
            valset_hash: `valset-${height}`,
            mode: 'BeginBlock',
          },
        });
      } else if (
        c.phase === 'STOPPED' &&
        c.stoppedAtMs !== null &&
        blockTimeMs >= c.stoppedAtMs + this.scenario.removal_delay_s * 1000
      ) {
        c.phase = 'DELETED';
      }
    }
    sendValSetChanges(this);
    return events;
  }

  private launch(c: SimConsumer, atMs: number): void {
    c.phase = 'LAUNCHED';
    c.launchedAtMs = atMs;
    c.clientId = `07-tendermint-${this.nextClient++}`;
    const byCons = new Map([...this.validators.values()].map((v) => [v.consAddress, v]));
    c.initialValSet = c.optedIn.flatMap((addr) => {
      const v = byCons.get(addr);
      if (!v) return [];
      const key = c.keys.get(addr);
      return [{ pubKey: key ? Buffer.from(key, 'base64') : v.consensusPubkey, power: v.tokens / 1_000_000n }];
    });
    c.providerValSet = consumerValSetOf(this, c);
    c.consumerValSet = c.providerValSet;
  }

  /** The `message` event the SDK prepends, then the module's event; both carry msg_index 0. */
  private txEvents(msg: string, sender: string, event: AbciEvent): AbciEvent[] {
    const attrs = event.attributes as Record<string, string>;
    return [
      {
        type: 'message',
        attributes: { action: `/interchain_security.ccv.provider.v1.${msg}`, sender, msg_index: '0' },
      },
      { type: event.type, attributes: { ...attrs, msg_index: '0' } },
    ];
  }
}

const spawnAt = (inS: number | undefined, nowMs: number) => (inS === undefined ? null : nowMs + inS * 1000);
export const phaseEnum = (p: Phase) => `CONSUMER_PHASE_${p}`;
const anyKeyJson = (keyB64: string) =>
  JSON.stringify({ '@type': '/cosmos.crypto.ed25519.PubKey', key: keyB64 });
