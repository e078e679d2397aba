/**
 * Faults a simulated endpoint can show. `latencyMs` delays every HTTP request (once per request, so a
 * batch of 20 calls waits once, like a real slow node) and combines with any `kind`.
 */
export type FaultKind = 'none' | 'timeout' | 'http_500' | 'garbage' | 'down';

export const FAULT_KINDS: readonly FaultKind[] = ['none', 'timeout', 'http_500', 'garbage', 'down'];

export interface Fault {
  latencyMs?: number;
  kind?: FaultKind;
}

export interface EffectiveFault {
  latencyMs: number;
  kind: FaultKind;
}

/** Endpoint settings win over chain settings, field by field, so one slow endpoint can sit on a down chain. */
export function effectiveFault(chain: Fault, endpoint: Fault): EffectiveFault {
  return {
    latencyMs: endpoint.latencyMs ?? chain.latencyMs ?? 0,
    kind: endpoint.kind ?? chain.kind ?? 'none',
  };
}

/**
 * What `garbage` returns as an abci_query value. The first byte is tag 0 with wire type 7: every protobuf
 * decoder rejects it ("invalid wire type"), whatever message type the client expects.
 */
export const GARBAGE_PROTOBUF = Uint8Array.from([0x07, ...new TextEncoder().encode('not protobuf')]);
