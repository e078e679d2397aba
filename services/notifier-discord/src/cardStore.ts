import { type Pool, withTransaction } from '@tocsin/store';
import type { Card } from './render/card.ts';

export interface StoredCard {
  channelId: string;
  messageId: string;
  partIds: string[];
  card: Card;
}

interface Row {
  channel_id: string;
  message_id: string;
  part_ids: string[];
  card: Card;
}

const toStored = (r: Row): StoredCard => ({
  channelId: r.channel_id,
  messageId: r.message_id,
  partIds: r.part_ids,
  card: r.card,
});

/** The cards behind alert messages, in PostgreSQL (table `discord_cards`). */
export function cardStore(pool: Pool) {
  return {
    async save(channelId: string, partIds: string[], card: Card): Promise<void> {
      await pool.query(
        `INSERT INTO discord_cards (channel_id, message_id, part_ids, card) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel_id, message_id) DO UPDATE SET part_ids = $3, card = $4, updated_at = now()`,
        [channelId, partIds[0], partIds, JSON.stringify(card)],
      );
    },

    /** The card a message (any of its parts) belongs to. */
    async byMessage(messageId: string): Promise<StoredCard | null> {
      const { rows } = await pool.query<Row>(
        'SELECT channel_id, message_id, part_ids, card FROM discord_cards WHERE message_id = $1 OR part_ids @> ARRAY[$1]',
        [messageId],
      );
      return rows[0] ? toStored(rows[0]) : null;
    },

    /**
     * Read-modify-write of one card under a row lock, so concurrent updates (a resolve and a button click, or two
     * replicas) apply one after the other. `fn` returns the new card, or null to leave it. Null if no such card.
     */
    async update(
      channelId: string,
      messageId: string,
      fn: (stored: StoredCard) => Promise<StoredCard | null>,
    ): Promise<StoredCard | null> {
      return withTransaction(pool, async (c) => {
        const { rows } = await c.query<Row>(
          `SELECT channel_id, message_id, part_ids, card FROM discord_cards
           WHERE channel_id = $1 AND (message_id = $2 OR part_ids @> ARRAY[$2]) FOR UPDATE`,
          [channelId, messageId],
        );
        if (!rows[0]) return null;
        const next = await fn(toStored(rows[0]));
        if (!next) return toStored(rows[0]);
        await c.query(
          `UPDATE discord_cards SET part_ids = $3, card = $4, updated_at = now()
           WHERE channel_id = $1 AND message_id = $2`,
          [rows[0].channel_id, rows[0].message_id, next.partIds, JSON.stringify(next.card)],
        );
        return next;
      });
    },
  };
}

export type CardStore = ReturnType<typeof cardStore>;
