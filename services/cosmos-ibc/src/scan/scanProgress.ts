import type { Logger } from '@tocsin/runtime';

/**
 * Progress lines for a long scan (thousands of clients): count, rate and ETA about every 10% and at least every
 * 10 s. Log lines, not a terminal bar: this runs as a service. Rates are wall-clock, since they measure I/O.
 */
export class ScanProgress {
  private done = 0;
  private readonly started = performance.now();
  private lastLogAt = this.started;
  private nextStep: number;

  constructor(
    private readonly log: Logger,
    private readonly chainId: string,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {
    this.nextStep = Math.ceil(total / 10);
    if (enabled) log.info({ chain_id: chainId, total }, `scanning ${total} clients on ${chainId}`);
  }

  tick(): void {
    this.done++;
    if (!this.enabled) return;
    const now = performance.now();
    if (this.done < this.total && this.done < this.nextStep && now - this.lastLogAt < 10_000) return;
    this.nextStep = this.done + Math.ceil(this.total / 10);
    this.lastLogAt = now;
    const elapsedS = (now - this.started) / 1000;
    const rate = elapsedS > 0 ? this.done / elapsedS : 0;
    const etaS = rate > 0 ? (this.total - this.done) / rate : null;
    this.log.info(
      {
        chain_id: this.chainId,
        done: this.done,
        total: this.total,
        rate_per_s: Math.round(rate),
        eta_s: etaS === null ? null : Math.round(etaS * 10) / 10,
      },
      `${this.chainId}: ${this.done}/${this.total} clients (${Math.round(rate)}/s${etaS === null ? '' : `, ETA ${Math.ceil(etaS)} s`})`,
    );
  }
}
