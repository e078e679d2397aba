import { type Pool, withTransaction } from '@tocsin/store';
import type { MessageState } from './render.ts';

/** The rendered state of each alert message, by (channel, ts). */
export interface MessageStore {
  save(channel: string, ts: string, state: MessageState): Promise<void>;
  load(channel: string, ts: string): Promise<MessageState | null>;
  /**
   * Applies a change under a row lock (a resolve and a button click on the same message must not overwrite each
   * other) and returns the new state, or null when the message is unknown.
   */
  update(channel: string, ts: string, fn: (s: MessageState) => MessageState): Promise<MessageState | null>;
}

export function messageStore(pool: Pool): MessageStore {
  return {
    async save(channel, ts, state) {
      await pool.query(
        `INSERT INTO slack_messages (channel, ts, state) VALUES ($1, $2, $3)
         ON CONFLICT (channel, ts) DO NOTHING`,
        [channel, ts, JSON.stringify(state)],
      );
    },
    async load(channel, ts) {
      const r = await pool.query<{ state: MessageState }>(
        'SELECT state FROM slack_messages WHERE channel = $1 AND ts = $2',
        [channel, ts],
      );
      return r.rows[0]?.state ?? null;
    },
    update(channel, ts, fn) {
      return withTransaction(pool, async (c) => {
        const r = await c.query<{ state: MessageState }>(
          'SELECT state FROM slack_messages WHERE channel = $1 AND ts = $2 FOR UPDATE',
          [channel, ts],
        );
        const cur = r.rows[0]?.state;
        if (!cur) return null;
        const next = fn(cur);
        await c.query(
          'UPDATE slack_messages SET state = $3, updated_at = now() WHERE channel = $1 AND ts = $2',
          [channel, ts, JSON.stringify(next)],
        );
        return next;
      });
    },
  };
}
