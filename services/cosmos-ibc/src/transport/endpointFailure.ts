/** How an endpoint failed; the `kind` of an `endpoint_error` event. */
export type FailureKind =
  | 'timeout'
  | 'http'
  | 'decode'
  | 'rpc'
  | 'connect'
  | 'too_large'
  | 'wrong_chain'
  | 'other';

/** A query that failed because of the endpoint (transport, status, undecodable answer): retried, then failed over. */
export class EndpointFailure extends Error {
  override readonly name = 'EndpointFailure';
  readonly code = 'endpoint_failure';
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The chain answered, with an error (ABCI code ≠ 0, e.g. "not found"). Another endpoint of the same chain would
 * say the same, so it is neither retried nor failed over.
 */
export class QueryRejected extends Error {
  override readonly name = 'QueryRejected';
  readonly code = 'query_rejected';
  constructor(
    /** The chain's ABCI code (≠ 0). */
    readonly abciCode: number,
    message: string,
  ) {
    super(message);
  }

  /** ibc-go answers NotFound (SDK code 38) for a missing client, connection or consensus state. */
  get notFound(): boolean {
    return this.abciCode === 38;
  }
}

/** The endpoint was given up on for this scan by another query; go straight to the next one. */
export class EndpointSkipped extends Error {
  override readonly name = 'EndpointSkipped';
  readonly code = 'endpoint_skipped';
}

export function isEndpointFailure(err: unknown): err is EndpointFailure {
  return err instanceof EndpointFailure;
}
export function isQueryRejected(err: unknown): err is QueryRejected {
  return err instanceof QueryRejected;
}
export function isEndpointSkipped(err: unknown): err is EndpointSkipped {
  return err instanceof EndpointSkipped;
}

/** cosmjs' message for an ABCI code ≠ 0; the code is any safe integer and the log whatever JSON the node sent. */
const ABCI_FAILED = /^Query failed with \((-?\d+)\): ([\s\S]*)$/;
const MAX_ABCI_CODE = 0xffff_ffff;

/** The chain's rejection, or a decode failure when the code is no ABCI code (a uint32). */
function abciFailure(code: number, log: string): QueryRejected | EndpointFailure {
  if (code < 1 || code > MAX_ABCI_CODE)
    return new EndpointFailure('decode', `ABCI code ${code} in the answer is not an unsigned 32-bit code`);
  // A log that was no string (cosmjs passes it through) says nothing: the code alone is the reason.
  const readable = log !== '' && log !== 'undefined' && log !== 'null' && !log.startsWith('[object ');
  return new QueryRejected(
    code,
    readable ? log.slice(0, 300) : `the chain rejected the query with ABCI code ${code}`,
  );
}

/**
 * Sorts whatever a cosmjs call threw into the three outcomes above. Transport errors come typed from our own
 * RPC client; what cosmjs or cosmjs-types throws after a good HTTP answer is either an ABCI error or a decoder
 * failing on the bytes or JSON it was given.
 */
export function classify(err: unknown): EndpointFailure | QueryRejected | EndpointSkipped {
  if (err instanceof EndpointFailure || err instanceof QueryRejected || err instanceof EndpointSkipped)
    return err;
  const message = err instanceof Error ? err.message : String(err);
  const abci = ABCI_FAILED.exec(message);
  if (abci) return abciFailure(Number(abci[1]), abci[2]!);
  if (err instanceof RangeError || err instanceof TypeError || err instanceof SyntaxError)
    return new EndpointFailure('decode', message.slice(0, 300));
  if (
    /wire type|invalid|index out of range|unexpected|decode|must (?:not )?be|expected|not an integer|not a number|int53 range|RFC3339|other than string|unknown pubkey type|No query height/i.test(
      message,
    )
  )
    return new EndpointFailure('decode', message.slice(0, 300));
  return new EndpointFailure('other', message.slice(0, 300));
}
