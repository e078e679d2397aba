import type { Alert } from '@tocsin/events';

/** What an operator sees: the alert's state, refined by acknowledgement and silences. */
export type Status = 'pending' | 'firing' | 'acknowledged' | 'silenced' | 'resolved';

export function status(a: Alert): Status {
  if (a.state === 'resolved') return 'resolved';
  if (a.silenced_by.length > 0) return 'silenced';
  if (a.acknowledged) return 'acknowledged';
  return a.state;
}

export const canAck = (a: Alert): boolean => a.state !== 'resolved' && !a.acknowledged;

/** Newest version of each episode first by start time; `incoming` replaces the copy with the same episode. */
export function upsert(list: Alert[], incoming: Alert): Alert[] {
  const rest = list.filter((a) => a.episode_id !== incoming.episode_id);
  return [incoming, ...rest].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
}
