import { isRpcError } from '@tocsin/bus';
import type { Alert, Matcher } from '@tocsin/events';

/**
 * Matchers that silence exactly what a message shows: the labels all its alerts share (for one alert, all of its
 * labels). Alerts from different rules share too little to silence safely together: null. Used by every chat
 * notifier's Silence buttons.
 */
export function silenceMatchers(alerts: Alert[]): Matcher[] | null {
  const [first, ...rest] = alerts;
  if (!first) return null;
  const common = Object.entries(first.labels).filter(([k, v]) => rest.every((a) => a.labels[k] === v));
  if (!common.some(([k]) => k === 'rule')) return null;
  return common.map(([name, value]) => ({ name, op: '=' as const, value }));
}

/** Why a button's action (ack, silence) failed, in words for the person who pressed it. */
export function actionProblem(err: unknown): string {
  if (isRpcError(err)) {
    if (err.code === 'unavailable') return 'The alerter is not answering right now; try again in a minute.';
    if (err.code === 'not_found') return 'That alert is no longer open.';
    return err.message;
  }
  return (err as Error).message;
}
