/** Where a light client stands in its trusting period at `nowMs`. */
export interface ClientExpiry {
  elapsed_s: number;
  /** elapsed_s / trusting period; ≥ 1 once expired. Not rounded: 0.79999 must not read as 0.8. */
  elapsed_ratio: number;
  /** Negative once expired. */
  remaining_s: number;
  expires_at: string;
}

/**
 * The original bot's arithmetic, with the consensus-state timestamp at the client's latest height as the last
 * update (the bot used the counterparty block time at that height, which is the same instant).
 */
export function clientExpiry(lastUpdateMs: number, trustingPeriodS: number, nowMs: number): ClientExpiry {
  const elapsedMs = nowMs - lastUpdateMs;
  const trustingMs = trustingPeriodS * 1000;
  return {
    elapsed_s: elapsedMs / 1000,
    elapsed_ratio: trustingMs > 0 ? elapsedMs / trustingMs : Number.POSITIVE_INFINITY,
    remaining_s: (trustingMs - elapsedMs) / 1000,
    expires_at: new Date(lastUpdateMs + trustingMs).toISOString(),
  };
}
