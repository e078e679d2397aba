import { icsCcv } from '@tocsin/events';
import type { Clock, Logger } from '@tocsin/runtime';
import type { Pool } from '@tocsin/store';
import type { IcsCcvConfig } from './config.ts';
import type { ConsumerHealth } from './consumerHealth.ts';
import { type ConsumerContext, loadContexts, saveContexts } from './contexts.ts';
import type { OptInAction } from './optIn.ts';
import {
  type BondedValidator,
  type ConsumerSnapshot,
  isProviderUnavailableError,
  type ProviderSnapshot,
} from './providerReader.ts';

export type { Publish, Reader } from './types.ts';

import { selectionAndDuties, selectionsOf } from './selectionEvents.ts';
import { consumerKeyOf, parseGoTime, type TxFact, txFacts } from './txFacts.ts';
import type { Hint, Publish, Reader, SelectionAt } from './types.ts';
import { keyAssigned, validatorDiff } from './validatorFacts.ts';
import type { TxNotice } from './websocket.ts';

const E = icsCcv;
const KNOWN_PHASES = new Set(['REGISTERED', 'INITIALIZED', 'LAUNCHED', 'STOPPED', 'DELETED']);
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * The consumer contexts of one provider chain and the facts derived from them. Every change goes through one queue
 * (Tx notices and syncs alike), so a sync always diffs against what the Tx events already reported.
 */
export class Tracker {
  contexts = new Map<string, ConsumerContext>();
  bonded: BondedValidator[] = [];
  /** Set once the provider said it has no x/provider: nothing more is polled. */
  unavailable = false;
  lastHeight: number | null = null;
  private synced = false;
  private failing = false;
  private publishFailing = false;
  private hints = new Map<string, Hint>();
  /** Opt-ins and keys Tx events reported for consumers not known yet: the sync that learns them must not repeat them. */
  private early = new Map<string, { optedIn: string[]; keys: Record<string, string> }>();
  /** Tx notices handled (tests wait on it). */
  txHandled = 0;
  syncs = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly seenUnknown = new Set<string>();

  constructor(
    private readonly d: {
      reader: Reader;
      pool: Pool;
      providerChainId: string;
      endpoint: string;
      publish: Publish;
      log: Logger;
      clock: Clock;
      cfg: IcsCcvConfig;
      optIn?: OptInAction;
      health?: ConsumerHealth;
    },
  ) {}

  async load(): Promise<void> {
    this.contexts = await loadContexts(this.d.pool, this.d.providerChainId);
    this.synced = this.contexts.size > 0;
  }

  /** Runs `fn` after everything queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  sync(reason: 'start' | 'poll' | 'event' | 'reconnect'): Promise<void> {
    return this.serial(() => this.syncNow(reason));
  }

  onTx(tx: TxNotice): Promise<void> {
    return this.serial(async () => {
      this.txHandled++;
      const facts = txFacts(tx, this.d.log, this.seenUnknown);
      if (!facts.length) return;
      try {
        for (const f of facts) await this.txFact(f);
      } catch (err) {
        // Not published (NATS down): the next sync finds the change again from the provider's state.
        await this.rollback(err);
      }
      await this.syncNow('event');
    });
  }

  /**
   * A publish failed mid-way: go back to the contexts as last saved, so the next sync diffs against them and
   * publishes again what was not acknowledged (same dedup_keys: what did get through is not stored twice).
   */
  private async rollback(err: unknown): Promise<void> {
    if (!this.publishFailing)
      this.d.log.warn({ err: String(err) }, 'events not published; they are derived again at the next sync');
    this.publishFailing = true;
    this.contexts = await loadContexts(this.d.pool, this.d.providerChainId);
    this.synced = this.contexts.size > 0 || this.synced;
  }

  private ourConsAddress(): string | undefined {
    return this.bonded.find((v) => v.operatorAddress === this.d.cfg.our_validator)?.consAddress;
  }

  private async txFact(f: TxFact): Promise<void> {
    const hint = this.hints.get(f.consumerId) ?? { height: f.height, kinds: new Set(), attributes: {} };
    hint.height = f.height;
    hint.kinds.add(f.kind);
    hint.attributes[f.kind] = f.attributes;
    this.hints.set(f.consumerId, hint);
    let c: ConsumerContext | Pick<ConsumerContext, 'optedIn' | 'keys'> | undefined = this.contexts.get(
      f.consumerId,
    );
    if (!c) {
      this.d.log.debug(
        { consumer_id: f.consumerId, event: f.kind },
        'event for an unknown consumer; re-syncing',
      );
      c = this.early.get(f.consumerId) ?? { optedIn: [], keys: {} };
      this.early.set(f.consumerId, c);
    }
    const known = this.contexts.get(f.consumerId);
    const a = f.attributes;
    const base = { consumer_id: f.consumerId, consumer_chain_id: f.chainId || known?.chainId || '' };
    const validator = a.provider_validator_address ?? '';
    const ours = validator !== '' && validator === this.ourConsAddress();
    const fact = {
      ...base,
      provider_validator_address: validator,
      ours,
      height: f.height,
      detected_by: 'event' as const,
      attributes: a,
    };
    switch (f.kind) {
      case 'update_consumer': {
        const phase = E.consumerUpdated.data.shape.phase.parse(phaseOf(a.consumer_phase ?? ''));
        const topN = a.consumer_topn === undefined ? null : Number.parseInt(a.consumer_topn, 10);
        await this.d.publish(E.consumerUpdated, `${f.consumerId}:updated:${phase}:${f.height}`, {
          ...base,
          phase,
          spawn_time: parseGoTime(a.consumer_spawn_time),
          name: a.consumer_name ?? null,
          top_n: Number.isFinite(topN) ? topN : null,
          owner: a.consumer_owner ?? null,
          height: f.height,
          attributes: a,
        });
        return;
      }
      case 'opt_in': {
        const key = consumerKeyOf(a.consumer_consensus_pub_key);
        // A poll may have seen it first (the Tx raced it): reported once.
        if (!c.optedIn.includes(validator)) {
          await this.d.publish(E.optIn, `${f.consumerId}:opt_in:${f.height}:${validator}`, {
            ...fact,
            consumer_key: key,
          });
          c.optedIn.push(validator);
        }
        if (key) await keyAssigned(this.d.publish, fact, key, c);
        return;
      }
      case 'opt_out':
        if (c.optedIn.includes(validator)) {
          await this.d.publish(E.optOut, `${f.consumerId}:opt_out:${f.height}:${validator}`, fact);
          c.optedIn = c.optedIn.filter((v) => v !== validator);
        }
        return;
      case 'assign_consumer_key': {
        const key = consumerKeyOf(a.consumer_consensus_pub_key);
        if (key) await keyAssigned(this.d.publish, fact, key, c);
        return;
      }
      default:
        // create_consumer and remove_consumer are reported by the sync they trigger (with this hint).
        return;
    }
  }

  private async syncNow(reason: string): Promise<void> {
    if (this.unavailable) return;
    let snap: ProviderSnapshot;
    try {
      snap = await this.d.reader.snapshot();
    } catch (err) {
      if (isProviderUnavailableError(err)) return this.providerUnavailable(err.message);
      if (!this.failing)
        this.d.log.warn({ err: String(err), reason }, 'provider query failed; retrying at the next poll');
      this.failing = true;
      return;
    }
    if (this.failing) this.d.log.info('provider answers again');
    this.failing = false;
    this.lastHeight = snap.height;
    this.bonded = snap.bonded;
    const hints = this.hints;
    this.hints = new Map();
    const bootstrap = !this.synced;
    const selectionAt = selectionsOf(snap, this.d.reader, this.d.cfg.selection_threshold, this.d.log);
    try {
      for (const s of snap.consumers)
        await this.consumer(s, snap, selectionAt, hints.get(s.consumerId), bootstrap);
      if (this.d.health)
        for (const c of this.contexts.values()) await this.d.health.check(c, this.d.clock.now());
    } catch (err) {
      // Hints go back too, so a change a Tx announced is still "detected by event" next time.
      for (const [id, h] of hints) if (!this.hints.has(id)) this.hints.set(id, h);
      return this.rollback(err);
    }
    if (this.publishFailing) this.d.log.info('events are published again');
    this.publishFailing = false;
    await saveContexts(this.d.pool, this.d.providerChainId, this.contexts.values(), this.d.clock.now());
    this.synced = true;
    this.syncs++;
  }

  private async consumer(
    s: ConsumerSnapshot,
    snap: ProviderSnapshot,
    selectionAt: (height: number) => Promise<SelectionAt>,
    hint: Hint | undefined,
    bootstrap: boolean,
  ): Promise<void> {
    const by = hint ? ('event' as const) : ('poll' as const);
    const id = s.consumerId;
    const base = { consumer_id: id, consumer_chain_id: s.chainId };
    if (!KNOWN_PHASES.has(s.phase) && !this.seenUnknown.has(`phase:${s.phase}`)) {
      this.seenUnknown.add(`phase:${s.phase}`);
      this.d.log.warn({ consumer_id: id, phase: s.rawPhase }, 'unknown consumer phase; passed through raw');
    }
    let c = this.contexts.get(id);
    if (!c) {
      const early = this.early.get(id);
      this.early.delete(id);
      c = {
        consumerId: id,
        chainId: s.chainId,
        name: s.name,
        owner: s.owner,
        phase: s.phase,
        spawnTimeMs: s.spawnTimeMs,
        clientId: s.clientId,
        initParams: s.initParams,
        optedIn: bootstrap ? [...s.optedIn] : (early?.optedIn ?? []),
        keys: bootstrap ? { ...s.keys } : (early?.keys ?? {}),
        announced: {},
      };
      this.contexts.set(id, c);
      if (!bootstrap) {
        await this.d.publish(E.consumerCreated, `${id}:created`, {
          ...base,
          name: s.name,
          owner: s.owner || null,
          phase: s.phase,
          spawn_time: iso(s.spawnTimeMs),
          height: hint?.kinds.has('create_consumer') ? hint.height : null,
          detected_by: hint?.kinds.has('create_consumer') ? 'event' : 'poll',
          attributes: hint?.attributes.create_consumer ?? {},
        });
      }
    }
    let launchedNow = false;
    if (c.phase !== s.phase) {
      const from = c.phase;
      const to = s.phase;
      const failed =
        from === 'INITIALIZED' &&
        to === 'REGISTERED' &&
        s.spawnTimeMs === null &&
        c.spawnTimeMs !== null &&
        !hint?.kinds.has('update_consumer');
      const anchor =
        to === 'REGISTERED'
          ? (iso(c.spawnTimeMs) ?? 'none')
          : to === 'INITIALIZED' || to === 'LAUNCHED'
            ? (iso(s.spawnTimeMs ?? c.spawnTimeMs) ?? 'none')
            : 'once';
      await this.d.publish(E.consumerPhaseChanged, `${id}:${to}:${anchor}`, {
        ...base,
        from,
        to,
        detected_by: by,
        spawn_time: iso(s.spawnTimeMs ?? c.spawnTimeMs),
        height: hint?.height ?? null,
      });
      if (failed)
        await this.d.publish(E.launchFailed, `${id}:launch_failed:${anchor}`, {
          ...base,
          missed_spawn_time: iso(c.spawnTimeMs)!,
          spawn_time_now: ZERO_TIME,
          detected_by: by,
        });
      if (to === 'STOPPED')
        await this.d.publish(E.consumerRemoved, `${id}:removed`, {
          ...base,
          height: hint?.kinds.has('remove_consumer') ? hint.height : null,
          detected_by: hint?.kinds.has('remove_consumer') ? 'event' : 'poll',
          attributes: hint?.attributes.remove_consumer ?? {},
        });
      launchedNow = to === 'LAUNCHED';
    }
    const spawnIso = iso(s.spawnTimeMs);
    if (s.phase === 'INITIALIZED' && spawnIso && c.announced.spawn !== spawnIso) {
      await this.d.publish(E.spawnScheduled, `${id}:spawn:${spawnIso}`, {
        ...base,
        spawn_time: spawnIso,
        time_left_s: (s.spawnTimeMs! - this.d.clock.now()) / 1000,
      });
      c.announced.spawn = spawnIso;
    }
    // A deleted consumer's details are gone (the reader skips them): no opt-outs from that.
    if (s.phase !== 'DELETED')
      await validatorDiff(this.d.publish, this.d.reader, this.ourConsAddress(), c, s, snap);
    Object.assign(c, {
      chainId: s.chainId,
      name: s.name,
      owner: s.owner,
      phase: s.phase,
      clientId: s.clientId,
      initParams: s.initParams,
      optedIn: [...s.optedIn],
      keys: { ...s.keys },
    });
    if (s.spawnTimeMs !== null || s.phase !== 'LAUNCHED') c.spawnTimeMs = s.spawnTimeMs;
    await selectionAndDuties(this.d, c, s, () => selectionAt(hint?.height ?? snap.height), launchedNow);
  }

  /** Said once: a warning line and one provider_unavailable; nothing is polled afterwards. */
  private async providerUnavailable(reason: string): Promise<void> {
    this.unavailable = true;
    this.d.log.warn(
      { endpoint: this.d.endpoint, reason },
      `${this.d.providerChainId} has no ICS provider module (x/provider): ics-ccv has nothing to watch there and stops polling it`,
    );
    await this.d.publish(E.providerUnavailable, `${this.d.providerChainId}:provider_unavailable`, {
      endpoint: this.d.endpoint,
      reason,
    });
  }

  /** Spawn times that drive adaptive polling: the current ones, and the last announced one of a failed launch. */
  spawnTimes(): number[] {
    return [...this.contexts.values()].flatMap((c) => {
      const t = c.spawnTimeMs ?? (c.announced.spawn ? Date.parse(c.announced.spawn) : null);
      return t === null ? [] : [t];
    });
  }
}

function phaseOf(raw: string): string {
  const short = raw.replace(/^CONSUMER_PHASE_/, '');
  return short || 'UNKNOWN';
}
