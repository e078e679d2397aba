import { randomBytes } from 'node:crypto';
import type { harmonySigners } from '@tocsin/events';
import { readSecretFile } from '@tocsin/runtime/secrets';
import type { AgentConfig } from './config.ts';
import { DiskBuffer } from './diskBuffer.ts';
import { type NodeReading, readNode } from './nodeMetadata.ts';

type Report = harmonySigners.ReportRequest & { nonce: string };
export const AGENT_VERSION = '0.1.0';
const REPORTS_PATH = '/v1/harmony/reports';

export interface AgentLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** One JSON line per record on stderr (the agent runs under systemd or a terminal; no library needed for this). */
export const jsonLog: AgentLog = Object.fromEntries(
  (['info', 'warn', 'error'] as const).map((level) => [
    level,
    (obj: object, msg: string) =>
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...obj })}\n`),
  ]),
) as unknown as AgentLog;

export type Delivery = 'delivered' | 'empty' | 'retry_later' | 'unauthorized';

/**
 * The harmony agent: each interval it reads the local node's hmyv2_getNodeMetadata and queues a report on disk,
 * then delivers the queue in order to harmony-signers with its bearer token. A node that does not answer becomes
 * a report saying so; a service that cannot be reached keeps the reports queued and is retried with backoff.
 */
export class HarmonyAgent {
  readonly buffer: DiskBuffer<Report>;
  #token: string;
  #failures = 0;
  #retryAt = 0;
  #stopped = false;
  #wake: (() => void) | null = null;

  constructor(
    readonly config: AgentConfig,
    private readonly opts: { now?: () => number; log?: AgentLog } = {},
  ) {
    // Refuses a token file that group or others can read (mode must be 0600 or 0400).
    this.#token = readSecretFile(config.token_file);
    this.buffer = new DiskBuffer<Report>(config.buffer_dir, config.buffer_max);
  }

  get #now(): number {
    return (this.opts.now ?? Date.now)();
  }
  get #log(): AgentLog {
    return this.opts.log ?? jsonLog;
  }

  /** Reads the node and queues the report (on disk). */
  async collect(): Promise<NodeReading> {
    const node = await readNode(this.config.node_url, this.config.request_timeout);
    if (!node.reachable)
      this.#log.warn({ node: this.config.node_url, reason: node.error }, 'node did not answer');
    const dropped = this.buffer.dropped;
    this.buffer.push({
      nonce: `${this.#now.toString(36)}-${randomBytes(12).toString('base64url')}`,
      hostname: this.config.hostname,
      validator_address: this.config.validator_address,
      reported_at: new Date(this.#now).toISOString(),
      interval_s: this.config.interval / 1000,
      buffered: false,
      agent_version: AGENT_VERSION,
      node,
    });
    if (this.buffer.dropped > dropped)
      this.#log.warn({ dropped: this.buffer.dropped }, 'report buffer full: oldest reports dropped');
    return node;
  }

  /**
   * Delivers queued reports oldest first until the queue is empty or a delivery fails (then the rest wait, in
   * order, for the next attempt: `retryAt`). A report the service refuses for good (400, 413, 422) is dropped
   * and logged; a replay (409) means it was already accepted.
   */
  async deliver(): Promise<Delivery> {
    if (this.#now < this.#retryAt) return 'retry_later';
    let first = true;
    for (let report = this.buffer.peek(); report; report = this.buffer.peek()) {
      const late =
        !first || this.#failures > 0 || this.#now - Date.parse(report.reported_at) > this.config.interval;
      first = false;
      const status = await this.#send({ ...report, buffered: report.buffered || late });
      if (status === 202 || status === 409) {
        this.buffer.shift();
        if (this.#failures) this.#log.info({ after_failures: this.#failures }, 'service reachable again');
        this.#failures = 0;
        this.#retryAt = 0;
        continue;
      }
      if (status === 400 || status === 413 || status === 422) {
        this.#log.error({ status, nonce: report.nonce }, 'service refused a report for good; dropped');
        this.buffer.shift();
        continue;
      }
      this.#failures++;
      const backoff = Math.min(this.config.max_backoff, 1000 * 2 ** Math.min(this.#failures - 1, 16));
      this.#retryAt = this.#now + backoff;
      if (status === 401) {
        // The token may have been replaced in its file: read it again for the next attempt.
        try {
          this.#token = readSecretFile(this.config.token_file);
        } catch (err) {
          this.#log.error({ err: (err as Error).message }, 'cannot read the token file');
        }
        this.#log.error({ queued: this.buffer.size }, 'service refused the token (401); reports stay queued');
        return 'unauthorized';
      }
      this.#log.warn(
        { status, queued: this.buffer.size, retry_in_ms: backoff },
        'cannot deliver reports; they stay queued',
      );
      return 'retry_later';
    }
    return this.buffer.size ? 'retry_later' : 'delivered';
  }

  /** HTTP status, or 0 when the service could not be reached. */
  async #send(report: Report): Promise<number> {
    try {
      const res = await fetch(`${this.config.service_url.replace(/\/+$/, '')}${REPORTS_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(this.config.request_timeout),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch {
      return 0;
    }
  }

  /** Collects every interval and delivers (retrying with backoff in between) until stop(). Never throws. */
  async run(): Promise<void> {
    let nextCollect = 0;
    while (!this.#stopped) {
      try {
        if (this.#now >= nextCollect) {
          nextCollect = this.#now + this.config.interval;
          await this.collect();
        }
        await this.deliver();
      } catch (err) {
        this.#log.error({ err: (err as Error).message }, 'agent cycle failed; going on');
      }
      const until = this.buffer.size
        ? Math.min(nextCollect, Math.max(this.#retryAt, this.#now + 200))
        : nextCollect;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, until - this.#now));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }
}
