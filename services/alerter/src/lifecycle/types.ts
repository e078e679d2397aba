import type { EventEnvelope, Severity } from '@tocsin/events';
import type { Ladder } from '../escalation/policy.ts';
import type { CompiledRule } from '../rules/compileRule.ts';
import type { Scope } from '../rules/scope.ts';

/**
 * The condition state of one fingerprint, shared by replicas through PostgreSQL (`alerter_state`) and cached in
 * each replica. A row exists once a fingerprint has been active (or has a window/band to remember); a missing
 * row means "ok, never seen active".
 */
export interface StateRow {
  fingerprint: string;
  rule_id: string;
  status: 'ok' | 'pending' | 'firing';
  /** The open episode (pending/firing), or the last one once ok. */
  episode_id: string | null;
  /** When the current pending/firing period began (ms). */
  since: number | null;
  band: string | null;
  last_value: unknown;
  /** Last severity step notified (steps rules). */
  step: number | null;
  /** The newest fact applied at a transition: older facts (redeliveries, stale reports) are ignored. */
  fact_at: number;
  fact_id: string;
  /** Last event that confirmed a firing alert (resolve_after). */
  seen_at: number | null;
  /** count rules: events per bucket start (ms). */
  buckets: Record<string, number> | null;
  labels: Record<string, string>;
  subscription_id: string | null;
  /** Flap suppression (flap/flap.ts): recent changes and, while flapping, the episode whose message is edited. */
  flap?: FlapState | null;
}

export interface FlapState {
  /** When it fired or resolved (ms), within the rule's flap window. */
  flips: number[];
  /** While flapping: the episode whose message is edited as it flips; null when not flapping. */
  card: string | null;
}

/** One rule applied to one event (or one subscriber of it): what the condition says about one fingerprint. */
export interface Instance {
  rule: CompiledRule;
  fingerprint: string;
  labels: Record<string, string>;
  scope: Scope;
  event: EventEnvelope;
  /** observed_at of the event (ms), never later than when it was received. */
  factAt: number;
  /** threshold/notice: does the condition hold; absence: false when the event ends the watch (a goodbye). */
  active: boolean;
  band: string | null;
  changeValue: unknown;
  value: number | null;
  subscriptionId: string | null;
  /** Owners tagged because of for_each. */
  owners: string[];
  /** Owner of a for_each instance (part of the key that counts a fact once). */
  owner: string | null;
  /** Set when the event withdraws the alert of this fingerprint (`retracted_by`): the reason shown. */
  retract?: string;
}

/** What an episode row and a new episode have in common (times differ: Date as read, ms when inserting). */
export interface EpisodeFields<T> {
  episode_id: string;
  fingerprint: string;
  rule_id: string;
  mode: 'alert' | 'notice';
  state: 'pending' | 'firing' | 'resolved';
  severity: Severity;
  source: string;
  chain_id: string;
  labels: Record<string, string>;
  summary: string;
  description: string;
  value: number | null;
  started_at: T;
  fired_at: T | null;
  resolved_at: T | null;
  event_id: string | null;
  mentions: string[];
  links: { title: string; url: string }[];
  group_key: string;
  object_key: string | null;
  priority: number | null;
  escalation_mentions: string[];
}

/** Everything needed to insert an episode row. */
export interface NewEpisode extends EpisodeFields<number> {
  group_labels: Record<string, string>;
  group_wait_ms: number;
  group_interval_ms: number;
  send_resolved: boolean;
  repeat_interval_ms: number;
  escalate_after_ms: number | null;
  /** The escalation ladder it climbs once notified (null: none). */
  escalation_ladder: Ladder | null;
}

export type Effect =
  | { kind: 'open'; episode: NewEpisode }
  | { kind: 'fire'; episode_id: string; at: number; value: number | null; event_id: string | null }
  | {
      kind: 'resolve';
      episode_id: string;
      at: number;
      value: number | null;
      event_id: string | null;
      reason: string;
    }
  | { kind: 'clear'; episode_id: string; at: number; event_id: string | null }
  | { kind: 'step'; episode_id: string; at: number; value: number; step: number; event_id: string | null }
  | { kind: 'notice'; episode: NewEpisode; previous?: unknown }
  | { kind: 'retract'; episode_id: string; at: number; event_id: string | null; reason: string }
  | {
      /** Flap suppression: edit the flapping alert's one message (the `card` episode's). */
      kind: 'flap';
      episode_id: string;
      at: number;
      changes: number;
      window_ms: number;
      state: 'firing' | 'resolved';
      settled: boolean;
      /** Episodes whose transitions in this decision are recorded, not notified (the card's edit says them). */
      held?: string[];
      /** Settled firing: the open episode, counted as announced by the card's last edit (its resolve is said). */
      current?: string;
    };

export interface Presence {
  fingerprint: string;
  rule_id: string;
  labels: Record<string, string>;
  last_seen: number;
  last_event: EventEnvelope;
  /** Its last event ended the watch (ends_when): no absence alert until it is heard from again. */
  ended: boolean;
}

/** Output of a decision: new state rows and what happened. */
export interface Plan {
  rows: Map<string, StateRow>;
  effects: Effect[];
}
