import type { Pool } from '@tocsin/store';
import { deletePublished, deletePublishedSql, type OutboxLeases, type PublishLog } from './outbox.ts';

/**
 * The published rows waiting to be deleted from the outbox. Their DELETE goes with the next commit of this replica
 * (a statement before its COMMIT: no round trip and no transaction of its own, which under a steady flow of batches
 * was one more commit, and its WAL flush, per batch); when no commit comes within `lingerMs`, it is sent alone. Their
 * leases stay held until they are deleted, so no relay takes them meanwhile; if this replica dies first, they are
 * re-published once their lease is over, and dropped as duplicates (Nats-Msg-Id, the delivery log's key).
 */
export class OutboxMarks {
  #seqs: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly leases: OutboxLeases,
    private readonly log: PublishLog,
    private readonly lingerMs: number,
  ) {}

  /** Published rows (their leases held): deleted with the next commit, or alone after lingerMs. */
  add(seqs: readonly number[]): void {
    for (const s of seqs) this.#seqs.push(s);
    this.#schedule();
  }

  /**
   * The statement that deletes the rows waiting, for a transaction about to commit (null when none wait); `settle`
   * with its outcome once it has ended.
   */
  take(): { sql: string; settle(committed: boolean): void } | null {
    if (!this.#seqs.length) return null;
    const seqs = this.#seqs;
    this.#seqs = [];
    this.#unschedule();
    return {
      sql: deletePublishedSql(seqs),
      settle: (committed) => {
        if (committed) this.leases.release(seqs);
        else this.add(seqs);
      },
    };
  }

  /** Deletes the rows waiting now, in a statement of its own. */
  flush(): Promise<void> {
    const seqs = this.#seqs;
    this.#seqs = [];
    this.#unschedule();
    if (!seqs.length) return this.#flushing;
    const run = this.#flushing.then(async () => {
      await deletePublished(this.pool, seqs, this.log);
      this.leases.release(seqs);
    });
    this.#flushing = run;
    return run;
  }

  #schedule(): void {
    if (this.#timer || !this.#seqs.length) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.lingerMs);
    this.#timer.unref();
  }

  #unschedule(): void {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = null;
  }
}
