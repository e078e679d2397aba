import type { PageRequest, PageResponse } from 'cosmjs-types/cosmos/base/query/v1beta1/pagination';
import { invalidRequest } from './queryErrors.ts';

/** Cosmos SDK `query.Paginate` default when a request leaves `limit` at 0. */
export const DEFAULT_PAGE_LIMIT = 100;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Pages through ids already in store order, with the SDK's rules: key-based paging returns total 0; offset
 * paging (or no key) counts the total when asked, or when limit was left at 0. Keys are the next id's bytes:
 * opaque to clients, as on a real node.
 */
export function paginate(
  sortedIds: readonly string[],
  req: PageRequest | undefined,
): { ids: string[]; pagination: PageResponse } {
  const key = req?.key?.length ? fromUtf8.decode(req.key) : undefined;
  const offset = Number(req?.offset ?? 0n);
  let limit = Number(req?.limit ?? 0n);
  let countTotal = req?.countTotal ?? false;
  if (key !== undefined && offset > 0)
    throw invalidRequest('invalid request, either offset or key is expected, got both');
  if (limit === 0) {
    limit = DEFAULT_PAGE_LIMIT;
    countTotal = true;
  }
  const ordered = req?.reverse ? [...sortedIds].reverse() : sortedIds;
  let start = offset;
  if (key !== undefined) {
    // First id at or after the key in iteration order, like a store iterator seeking to it.
    start = ordered.findIndex((id) => (req?.reverse ? id <= key : id >= key));
    if (start < 0) start = ordered.length;
  }
  const ids = ordered.slice(start, start + limit);
  const next = ordered[start + limit];
  return {
    ids,
    pagination: {
      nextKey: next === undefined ? new Uint8Array() : utf8.encode(next),
      total: key === undefined && countTotal ? BigInt(sortedIds.length) : 0n,
    },
  };
}
