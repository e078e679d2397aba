import { createHash } from 'node:crypto';
import { HashOp, LengthOp, type ProofSpec } from 'cosmjs-types/cosmos/ics23/v1/proofs';
import { Any } from 'cosmjs-types/google/protobuf/any';
import {
  ClientState as SoloClientState,
  ConsensusState as SoloConsensusState,
} from 'cosmjs-types/ibc/lightclients/solomachine/v3/solomachine';
import {
  ClientState as TmClientState,
  ConsensusState as TmConsensusState,
} from 'cosmjs-types/ibc/lightclients/tendermint/v1/tendermint';
import {
  ClientState as WasmClientState,
  ConsensusState as WasmConsensusState,
} from 'cosmjs-types/ibc/lightclients/wasm/v1/wasm';
import type { ConsensusRecord, IbcClient } from './chainModel.ts';

/** ibc-go marks a client frozen by misbehaviour with this height (`types.FrozenHeight`). */
const FROZEN_HEIGHT = { revisionNumber: 0n, revisionHeight: 1n };
const NOT_FROZEN = { revisionNumber: 0n, revisionHeight: 0n };

const duration = (s: number) => ({ seconds: BigInt(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });

/** Deterministic stand-in for a hash, so the same scenario always yields the same bytes. */
export function fakeHash(...parts: (string | bigint | number)[]): Uint8Array {
  return createHash('sha256').update(parts.join(':')).digest();
}

// The IAVL and Tendermint specs every Cosmos SDK chain's Tendermint client carries (ics23 v1).
const PROOF_SPECS: ProofSpec[] = [
  {
    leafSpec: {
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
      prefix: Uint8Array.of(0),
    },
    innerSpec: {
      childOrder: [0, 1],
      childSize: 33,
      minPrefixLength: 4,
      maxPrefixLength: 12,
      emptyChild: new Uint8Array(),
      hash: HashOp.SHA256,
    },
    maxDepth: 0,
    minDepth: 0,
  },
  {
    leafSpec: {
      hash: HashOp.SHA256,
      prehashKey: HashOp.NO_HASH,
      prehashValue: HashOp.SHA256,
      length: LengthOp.VAR_PROTO,
      prefix: Uint8Array.of(0),
    },
    innerSpec: {
      childOrder: [0, 1],
      childSize: 32,
      minPrefixLength: 1,
      maxPrefixLength: 1,
      emptyChild: new Uint8Array(),
      hash: HashOp.SHA256,
    },
    maxDepth: 0,
    minDepth: 0,
  },
];

function tendermintClientState(c: IbcClient): TmClientState {
  return TmClientState.fromPartial({
    chainId: c.counterpartyChainId,
    trustLevel: { numerator: 1n, denominator: 3n },
    trustingPeriod: duration(c.trustingPeriodS),
    unbondingPeriod: duration(c.unbondingPeriodS),
    maxClockDrift: duration(c.maxClockDriftS),
    frozenHeight: c.frozen ? FROZEN_HEIGHT : NOT_FROZEN,
    latestHeight: c.latestHeight,
    proofSpecs: PROOF_SPECS,
    upgradePath: ['upgrade', 'upgradedIBCState'],
    allowUpdateAfterExpiry: false,
    allowUpdateAfterMisbehaviour: false,
  });
}

function tendermintConsensusState(c: IbcClient, cs: ConsensusRecord): TmConsensusState {
  return TmConsensusState.fromPartial({
    timestamp: {
      seconds: BigInt(Math.floor(cs.timestampMs / 1000)),
      nanos: (cs.timestampMs % 1000) * 1_000_000,
    },
    root: { hash: fakeHash('app', c.counterpartyChainId, cs.height.revisionHeight) },
    nextValidatorsHash: fakeHash('vals', c.counterpartyChainId, cs.height.revisionHeight),
  });
}

/** The client state as stored on chain: an Any whose typeUrl depends on the light client type. */
export function clientStateAny(c: IbcClient): Any {
  switch (c.type) {
    case '07-tendermint':
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.tendermint.v1.ClientState',
        value: TmClientState.encode(tendermintClientState(c)).finish(),
      });
    case '08-wasm':
      // A wasm client wraps the real light client's state as opaque bytes; wrap a Tendermint one.
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.wasm.v1.ClientState',
        value: WasmClientState.encode({
          data: TmClientState.encode(tendermintClientState(c)).finish(),
          checksum: fakeHash('wasm-code', c.clientId),
          latestHeight: c.latestHeight,
        }).finish(),
      });
    case '06-solomachine': {
      const consensus = [...c.consensusStates.values()].at(-1);
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.solomachine.v3.ClientState',
        value: SoloClientState.encode({
          sequence: c.latestHeight.revisionHeight,
          isFrozen: c.frozen,
          consensusState: {
            diversifier: c.counterpartyChainId,
            timestamp: BigInt(Math.floor((consensus?.timestampMs ?? 0) / 1000)),
          },
        }).finish(),
      });
    }
  }
}

export function consensusStateAny(c: IbcClient, cs: ConsensusRecord): Any {
  switch (c.type) {
    case '07-tendermint':
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.tendermint.v1.ConsensusState',
        value: TmConsensusState.encode(tendermintConsensusState(c, cs)).finish(),
      });
    case '08-wasm':
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.wasm.v1.ConsensusState',
        value: WasmConsensusState.encode({
          data: TmConsensusState.encode(tendermintConsensusState(c, cs)).finish(),
        }).finish(),
      });
    case '06-solomachine':
      return Any.fromPartial({
        typeUrl: '/ibc.lightclients.solomachine.v3.ConsensusState',
        value: SoloConsensusState.encode({
          diversifier: c.counterpartyChainId,
          timestamp: BigInt(Math.floor(cs.timestampMs / 1000)),
        }).finish(),
      });
  }
}
