/**
 * Priority among alerts about one on-chain object (a transfer that is also a sudo call, large, forced, touching an
 * important address): only the highest rank is notified. An episode is outranked by an open rival with a higher
 * rank, or the same rank and an earlier start.
 */
export interface Contender {
  episode_id: string;
  object_key: string;
  priority: number;
  started_at: number;
}

export function outrankedBy(me: Contender, rivals: readonly Contender[]): string | null {
  let best: Contender | null = null;
  for (const r of rivals) {
    if (r.episode_id === me.episode_id || r.object_key !== me.object_key) continue;
    const beats =
      r.priority > me.priority ||
      (r.priority === me.priority &&
        (r.started_at < me.started_at || (r.started_at === me.started_at && r.episode_id < me.episode_id)));
    if (beats && (!best || r.priority > best.priority)) best = r;
  }
  return best?.episode_id ?? null;
}
