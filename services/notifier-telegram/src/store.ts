import { type Pool, withTransaction } from '@tocsin/store';
import type { MessageState } from './render.ts';

export interface StoredMessage {
  chatId: number;
  messageId: number;
  state: MessageState;
  createdAt: Date;
}

/** Message states and the ids of what each delivery sent, in PostgreSQL (shared by replicas, kept over restarts). */
export function telegramStore(pool: Pool) {
  return {
    async save(chatId: number, messageId: number, state: MessageState): Promise<void> {
      await pool.query(
        `INSERT INTO telegram_messages (chat_id, message_id, state) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id, message_id) DO NOTHING`,
        [chatId, messageId, JSON.stringify(state)],
      );
    },
    async load(chatId: number, messageId: number): Promise<StoredMessage | null> {
      const r = await pool.query<{ state: MessageState; created_at: Date }>(
        'SELECT state, created_at FROM telegram_messages WHERE chat_id = $1 AND message_id = $2',
        [chatId, messageId],
      );
      const row = r.rows[0];
      return row ? { chatId, messageId, state: row.state, createdAt: row.created_at } : null;
    },
    /** A change under a row lock (a resolve and a button press must not overwrite each other); null if unknown. */
    update(
      chatId: number,
      messageId: number,
      fn: (s: MessageState) => MessageState,
    ): Promise<MessageState | null> {
      return withTransaction(pool, async (c) => {
        const r = await c.query<{ state: MessageState }>(
          'SELECT state FROM telegram_messages WHERE chat_id = $1 AND message_id = $2 FOR UPDATE',
          [chatId, messageId],
        );
        const cur = r.rows[0]?.state;
        if (!cur) return null;
        const next = fn(cur);
        await c.query(
          'UPDATE telegram_messages SET state = $3, updated_at = now() WHERE chat_id = $1 AND message_id = $2',
          [chatId, messageId, JSON.stringify(next)],
        );
        return next;
      });
    },
    /**
     * Records a sent message of a delivery at once (before anything else happens), and the state of a new alert
     * message with it (one statement: one round trip).
     */
    async recordSent(
      attemptId: string,
      step: string,
      chatId: number,
      messageId: number,
      state?: MessageState,
    ): Promise<void> {
      await pool.query(
        `WITH sent AS (
           INSERT INTO telegram_sent (attempt_id, step, chat_id, message_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (attempt_id, step) DO NOTHING
         )
         INSERT INTO telegram_messages (chat_id, message_id, state)
         SELECT $3, $4, $5::jsonb WHERE $5::jsonb IS NOT NULL
         ON CONFLICT (chat_id, message_id) DO NOTHING`,
        [attemptId, step, chatId, messageId, state ? JSON.stringify(state) : null],
      );
    },
    async sentSteps(attemptId: string): Promise<Map<string, number>> {
      const r = await pool.query<{ step: string; message_id: string }>(
        'SELECT step, message_id FROM telegram_sent WHERE attempt_id = $1',
        [attemptId],
      );
      return new Map(r.rows.map((row) => [row.step, Number(row.message_id)]));
    },
  };
}

export type TelegramStore = ReturnType<typeof telegramStore>;
