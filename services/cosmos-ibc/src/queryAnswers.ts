import { ProtoReader } from './transport/protoReader.ts';

/**
 * The fields a scan reads from the answers it decodes thousands of times (client state, client status,
 * consensus state, connection pages), read with `ProtoReader` and the other fields skipped. Field numbers are
 * those of ibc-go's and the Cosmos SDK's protobuf definitions; the values are what the cosmjs-types decoders give,
 * defaults included: an absent Any or page is `undefined`, any other absent field its zero value (a Height or a
 * Duration of zeros, '', 0).
 */

export interface AnyValue {
  typeUrl: string;
  value: Uint8Array;
}

export interface HeightValue {
  revisionNumber: bigint;
  revisionHeight: bigint;
}

export interface SecondsNanos {
  seconds: bigint;
  nanos: number;
}

export interface TendermintClientStateFields {
  chainId: string;
  trustingPeriod: SecondsNanos;
  frozenHeight: HeightValue;
  latestHeight: HeightValue;
}

export interface ConnectionFields {
  id: string;
  clientId: string;
  state: number;
}

/**
 * Each decoder reads one message from `r.pos` up to `end` like its cosmjs-types counterpart: a field it declares
 * is read (or stepped over) as its declared type whatever the wire type says, any other field is skipped by wire
 * type, and the last occurrence of a field wins.
 */

/** google.protobuf.Any: type_url = 1, value = 2. */
function any(r: ProtoReader, end: number): AnyValue {
  const out: AnyValue = { typeUrl: '', value: new Uint8Array() };
  while (r.pos < end) {
    const tag = r.varint32();
    if (tag >>> 3 === 1) out.typeUrl = r.string();
    else if (tag >>> 3 === 2) out.value = r.bytes();
    else r.skipType(tag & 7);
  }
  return out;
}

const zeroHeight = (): HeightValue => ({ revisionNumber: 0n, revisionHeight: 0n });
const zeroSecondsNanos = (): SecondsNanos => ({ seconds: 0n, nanos: 0 });

/** ibc.core.client.v1.Height: revision_number = 1, revision_height = 2 (uint64). */
function height(r: ProtoReader, end: number): HeightValue {
  const out = zeroHeight();
  while (r.pos < end) {
    const tag = r.varint32();
    if (tag >>> 3 === 1) out.revisionNumber = r.uint64();
    else if (tag >>> 3 === 2) out.revisionHeight = r.uint64();
    else r.skipType(tag & 7);
  }
  return out;
}

/** google.protobuf.Duration and Timestamp: seconds = 1 (int64), nanos = 2 (int32). */
function secondsNanos(r: ProtoReader, end: number): SecondsNanos {
  const out = zeroSecondsNanos();
  while (r.pos < end) {
    const tag = r.varint32();
    if (tag >>> 3 === 1) out.seconds = r.int64();
    else if (tag >>> 3 === 2) out.nanos = r.int32();
    else r.skipType(tag & 7);
  }
  return out;
}

/**
 * QueryClientStateResponse / QueryConsensusStateResponse: the Any in client_state / consensus_state = 1;
 * proof = 2 (bytes) and proof_height = 3 (Height) stepped over.
 */
export function stateAnswer(bytes: Uint8Array): AnyValue | undefined {
  const r = new ProtoReader(bytes);
  let state: AnyValue | undefined;
  while (r.pos < r.len) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) state = any(r, r.nestedEnd());
    else if (field === 2 || field === 3) r.skipDelimited();
    else r.skipType(tag & 7);
  }
  return state;
}

/**
 * ibc.lightclients.tendermint.v1.ClientState: chain_id = 1, trusting_period = 3, frozen_height = 6,
 * latest_height = 7; trust_level = 2, unbonding_period = 4, max_clock_drift = 5, proof_specs = 8 and
 * upgrade_path = 9 (length-delimited), allow_update_after_expiry = 10 and allow_update_after_misbehaviour = 11
 * (bool) stepped over.
 */
export function tendermintClientState(bytes: Uint8Array): TendermintClientStateFields {
  const r = new ProtoReader(bytes);
  const out: TendermintClientStateFields = {
    chainId: '',
    trustingPeriod: zeroSecondsNanos(),
    frozenHeight: zeroHeight(),
    latestHeight: zeroHeight(),
  };
  while (r.pos < r.len) {
    const tag = r.varint32();
    switch (tag >>> 3) {
      case 1:
        out.chainId = r.string();
        break;
      case 3:
        out.trustingPeriod = secondsNanos(r, r.nestedEnd());
        break;
      case 6:
        out.frozenHeight = height(r, r.nestedEnd());
        break;
      case 7:
        out.latestHeight = height(r, r.nestedEnd());
        break;
      case 2:
      case 4:
      case 5:
      case 8:
      case 9:
        r.skipDelimited();
        break;
      case 10:
      case 11:
        r.varint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return out;
}

/** ibc.lightclients.tendermint.v1.ConsensusState: timestamp = 1; root = 2 and next_validators_hash = 3 stepped over. */
export function tendermintConsensusTimestamp(bytes: Uint8Array): SecondsNanos {
  const r = new ProtoReader(bytes);
  let timestamp = zeroSecondsNanos();
  while (r.pos < r.len) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) timestamp = secondsNanos(r, r.nestedEnd());
    else if (field === 2 || field === 3) r.skipDelimited();
    else r.skipType(tag & 7);
  }
  return timestamp;
}

/** QueryClientStatusResponse: status = 1. */
export function clientStatusAnswer(bytes: Uint8Array): string {
  const r = new ProtoReader(bytes);
  let status = '';
  while (r.pos < r.len) {
    const tag = r.varint32();
    if (tag >>> 3 === 1) status = r.string();
    else r.skipType(tag & 7);
  }
  return status;
}

/**
 * QueryConnectionsResponse: connections = 1 (repeated IdentifiedConnection), pagination = 2 (PageResponse);
 * height = 3 stepped over.
 */
export function connectionsAnswer(bytes: Uint8Array): {
  connections: ConnectionFields[];
  nextKey: Uint8Array | undefined;
} {
  const r = new ProtoReader(bytes);
  const connections: ConnectionFields[] = [];
  let nextKey: Uint8Array | undefined;
  while (r.pos < r.len) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) connections.push(connection(r, r.nestedEnd()));
    else if (field === 2) nextKey = pageNextKey(r, r.nestedEnd());
    else if (field === 3) r.skipDelimited();
    else r.skipType(tag & 7);
  }
  return { connections, nextKey };
}

/**
 * IdentifiedConnection: id = 1, client_id = 2, state = 4 (enum); versions = 3 and counterparty = 5
 * (length-delimited), delay_period = 6 (uint64) stepped over.
 */
function connection(r: ProtoReader, end: number): ConnectionFields {
  const out: ConnectionFields = { id: '', clientId: '', state: 0 };
  while (r.pos < end) {
    const tag = r.varint32();
    switch (tag >>> 3) {
      case 1:
        out.id = r.string();
        break;
      case 2:
        out.clientId = r.string();
        break;
      case 4:
        out.state = r.int32();
        break;
      case 3:
      case 5:
        r.skipDelimited();
        break;
      case 6:
        r.varint32();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return out;
}

/** PageResponse: next_key = 1 (bytes); total = 2 (uint64) stepped over. */
function pageNextKey(r: ProtoReader, end: number): Uint8Array {
  let key: Uint8Array = new Uint8Array();
  while (r.pos < end) {
    const tag = r.varint32();
    const field = tag >>> 3;
    if (field === 1) key = r.bytes();
    else if (field === 2) r.varint32();
    else r.skipType(tag & 7);
  }
  return key;
}
