/**
 * How a Cosmos SDK node reports a failed gRPC query over ABCI: baseapp maps the gRPC status to an SDK error
 * (`gRPCErrorToSDKError`), so the ABCI response carries the SDK code and codespace "sdk".
 */
export class QueryError extends Error {
  constructor(
    readonly code: number,
    readonly log: string,
  ) {
    super(log);
  }
}

/** sdkerrors.ErrUnknownRequest: no handler for the query path. */
export const unknownRequest = (path: string) =>
  new QueryError(6, `unknown query path: ${path}: unknown request`);

/** sdkerrors.ErrInvalidRequest, what gRPC InvalidArgument becomes. */
export const invalidRequest = (desc: string) =>
  new QueryError(18, `rpc error: code = InvalidArgument desc = ${desc}: invalid request`);

/** sdkerrors.ErrKeyNotFound, what gRPC NotFound becomes. */
export const notFound = (desc: string) =>
  new QueryError(38, `rpc error: code = NotFound desc = ${desc}: key not found`);
