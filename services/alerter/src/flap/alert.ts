import type { Alert } from '@tocsin/events';

/**
 * The card episode's alert as a `flapping` notification shows it: the state the alert is in now (not the card
 * episode's own, which may have resolved long ago) and how often it changed (the pending entry's detail).
 */
export function flappingAlert(a: Alert, detail: Record<string, unknown>): Alert {
  const state = detail.state === 'firing' ? 'firing' : 'resolved';
  return {
    ...a,
    state,
    resolved_at: state === 'firing' ? null : a.resolved_at,
    flapping: {
      changes: Number(detail.changes ?? 0),
      window_ms: Math.max(1, Number(detail.window_ms ?? 1)),
      state,
      settled: detail.settled === true,
    },
  };
}
