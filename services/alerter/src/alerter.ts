import type { Alert, Matcher } from '@tocsin/events';
import { Commands } from './commands/commands.ts';
import type { AlertQuery, TimelineItem } from './history/episodes.ts';
import type { Received } from './intake/receive.ts';
import type { RuleIndex } from './lifecycle/evaluate.ts';
import type { StateCache } from './lifecycle/stateStore.ts';
import { MaintenanceCommands } from './maintenance/commands.ts';
import { AlerterCore, type AlerterDeps } from './pipeline/core.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import type { Silence } from './silences/silenceStore.ts';
import { AlertSubscriptionCommands } from './subscriptions/alertSubscriptions.ts';
import type { Subscription } from './subscriptions/subscriptionIndex.ts';

export type { AlerterDeps, AlerterLog } from './pipeline/core.ts';

/**
 * One replica of the alerter: the pipeline (pipeline/pipeline.ts: intake → judge → commit → relay, and the timer
 * stage) and the commands (commands/commands.ts: ack, silence, subscribe…), over the state they share
 * (pipeline/core.ts). Every change of shared state happens in a transaction holding the alerter lock, so replicas
 * never interleave decisions; within a replica, operations run one at a time.
 */
export class Alerter {
  readonly #core: AlerterCore;
  readonly pipeline: Pipeline;
  readonly commands: Commands;
  /** Maintenance windows: create, list, end (RPC, chat) and the configured ones (maintenance/). */
  readonly maintenance: MaintenanceCommands;
  /** Alert subscriptions with a cadence (`$subscribe`): immediate tags, hourly and daily digests (subscriptions/). */
  readonly alertSubscriptions: AlertSubscriptionCommands;

  constructor(d: AlerterDeps) {
    this.#core = new AlerterCore(d);
    this.pipeline = new Pipeline(this.#core);
    this.commands = new Commands(this.#core);
    this.maintenance = new MaintenanceCommands(this.#core);
    this.alertSubscriptions = new AlertSubscriptionCommands(this.#core);
  }

  get index(): RuleIndex {
    return this.#core.index;
  }
  get cache(): StateCache {
    return this.#core.cache;
  }
  get params(): Record<string, unknown> {
    return this.#core.params;
  }
  get heights(): Map<string, number> {
    return this.pipeline.heights;
  }
  get lastBatchError(): { at: number; error: string } | null {
    return this.pipeline.lastBatchError;
  }
  set lastBatchError(e: { at: number; error: string } | null) {
    this.pipeline.lastBatchError = e;
  }
  get lastBatchAt(): number | null {
    return this.pipeline.lastBatchAt;
  }

  now(): number {
    return this.#core.d.clock.now();
  }

  // ---- the pipeline ----

  init(): Promise<void> {
    return this.#core.init();
  }
  processEvents(events: readonly Received[]): Promise<void> {
    return this.pipeline.processEvents(events);
  }
  /** processEvents, resolving once the batch's commit is sent; `done` settles with the commit (pipelining). */
  stageEvents(events: readonly Received[]): Promise<{ done: Promise<void> }> {
    return this.pipeline.stageEvents(events);
  }
  tick(): Promise<void> {
    return this.pipeline.tick();
  }
  relay(): Promise<number> {
    return this.pipeline.relay();
  }
  prune(): Promise<void> {
    return this.pipeline.prune();
  }
  /** Resolves once no operation is queued or running and every committed notification has been published. */
  settled(): Promise<void> {
    return this.#core.settled();
  }
  /** Resolves once every notification committed so far has been published (or left to the relay). */
  published(): Promise<void> {
    return this.#core.published();
  }

  // ---- commands (RPC) ----

  ack(req: { by: string; fingerprint?: string; episode_id?: string; note?: string }): Promise<Alert> {
    return this.commands.ack(req);
  }
  resolve(req: Parameters<Commands['resolve']>[0]): Promise<Alert> {
    return this.commands.resolve(req);
  }
  silence(req: {
    by: string;
    matchers: Matcher[];
    duration_s?: number;
    ends_at?: string;
    reason: string;
  }): Promise<Silence> {
    return this.commands.silence(req);
  }
  expireSilence(req: { by: string; id: string }): Promise<Silence> {
    return this.commands.expireSilence(req);
  }
  listSilences(activeOnly: boolean): Promise<Silence[]> {
    return this.commands.listSilences(activeOnly);
  }
  alerts(q: AlertQuery): Promise<Alert[]> {
    return this.commands.alerts(q);
  }
  alert(id: string): Promise<{ alert: Alert; timeline: TimelineItem[] } | undefined> {
    return this.commands.alert(id);
  }
  subscribe(
    s: Omit<Subscription, 'id' | 'created_at'>,
  ): Promise<{ subscription: Subscription; created: boolean }> {
    return this.commands.subscribe(s);
  }
  unsubscribe(req: Parameters<Commands['unsubscribe']>[0]): Promise<number> {
    return this.commands.unsubscribe(req);
  }
  subscriptions(f: { owner?: string; kind?: string; chain_id?: string }): Promise<Subscription[]> {
    return this.commands.subscriptions(f);
  }
}
