import { applyOnce, type Pool } from '@tocsin/store';
import { MAX_SKEW_S } from './signature.ts';

/** The inbox consumer name under which accepted Slack requests are remembered. */
export const SEEN_REQUESTS = 'notifier-slack:requests';

export interface ReplayGuard {
  /**
   * True the first time a request (its signature, which covers its timestamp and body; or a Socket Mode
   * envelope id) is seen by any replica, false for a replay. Throws when the database cannot say.
   */
  firstTime(key: string): Promise<boolean>;
}

/**
 * Remembers accepted requests in the store's inbox table (PostgreSQL), so a request replayed to any replica
 * within Slack's five-minute window is refused. Rows older than the window (plus its skew on the other side) can
 * never match an acceptable request again and are forgotten, at most once a minute.
 */
export function replayGuard(pool: Pool): ReplayGuard {
  const keepMs = 2 * MAX_SKEW_S * 1000 + 60_000;
  let lastPrune = 0;
  return {
    async firstTime(key) {
      const first = await applyOnce(pool, SEEN_REQUESTS, key, async () => undefined);
      if (first && Date.now() - lastPrune > 60_000) {
        lastPrune = Date.now();
        await pool.query(
          `DELETE FROM tocsin_inbox WHERE consumer = $1 AND processed_at < now() - ($2::bigint * interval '1 millisecond')`,
          [SEEN_REQUESTS, keepMs],
        );
      }
      return first;
    },
  };
}
