/** A bonded validator as the selection sees it. */
export interface StakedValidator {
  operatorAddress: string;
  tokens: bigint;
}

export interface Selection<V extends StakedValidator = StakedValidator> {
  /** Selected validators, in selection order (tokens descending, ties by operator address ascending). */
  selected: V[];
  totalTokens: bigint;
}

/**
 * The deterministic selection roylee17/ics-operator applies (PEERS.md §2): bonded validators sorted by tokens
 * descending, ties broken by operator address (byte order), taken in order until their cumulative share of the
 * total reaches `threshold` (the validator that crosses it is included). Exact in integers: a validator is
 * taken while the tokens taken before it are below threshold × total.
 */
export function selectValidators<V extends StakedValidator>(
  bonded: readonly V[],
  threshold = 0.66,
): Selection<V> {
  const sorted = [...bonded].sort((a, b) =>
    a.tokens === b.tokens
      ? a.operatorAddress < b.operatorAddress
        ? -1
        : a.operatorAddress > b.operatorAddress
          ? 1
          : 0
      : a.tokens > b.tokens
        ? -1
        : 1,
  );
  const totalTokens = sorted.reduce((s, v) => s + v.tokens, 0n);
  // threshold as a fraction over 10^6 keeps the comparison in bigint.
  const scale = 1_000_000n;
  const need = BigInt(Math.round(threshold * 1_000_000)) * totalTokens;
  const selected: V[] = [];
  let taken = 0n;
  for (const v of sorted) {
    if (taken * scale >= need) break;
    selected.push(v);
    taken += v.tokens;
  }
  return { selected, totalTokens };
}
