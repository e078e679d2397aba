import type { Alert, Notification, Transition } from '@tocsin/events';

/** Transitions that change how the original message looks (edited in place), besides the thread reply. */
export const UPDATES_ORIGINAL = new Set<Transition>(['resolved', 'acknowledged', 'retracted', 'flapping']);
/** Transitions that only edit the original (a flapping alert's one message): no thread reply. */
export const EDITS_ONLY = new Set<Transition>(['flapping']);
/**
 * One Slack call a notification turns into: a new message, or a reply in the thread of the message that announced
 * some of its alerts (editing that message first when the transition changes how it looks).
 */
export type Step =
  | { kind: 'post'; alerts: Alert[] }
  /** An incident that grew (its firing lists the members already announced): its message becomes the whole. */
  | { kind: 'replace'; thread: string; alerts: Alert[] }
  | {
      kind: 'reply';
      thread: string;
      alerts: Alert[];
      update: boolean;
      broadcast: boolean;
      /** Edit the original only, reply nothing (EDITS_ONLY). */
      quiet?: boolean;
    };

/** Firing and notices are new messages; later transitions go to the threads of the messages that announced them. */
export function planDelivery(n: Notification, priorRefs: Map<string, string>): Step[] {
  if (n.incident && n.transition === 'firing') {
    const thread = n.alerts.map((a) => priorRefs.get(a.episode_id)).find((t) => t !== undefined);
    if (thread) return [{ kind: 'replace', thread, alerts: n.alerts }];
  }
  if (n.transition === 'firing' || n.transition === 'notice') return [{ kind: 'post', alerts: n.alerts }];
  const byThread = new Map<string | null, Alert[]>();
  for (const a of n.alerts) {
    const thread = priorRefs.get(a.episode_id) ?? null;
    byThread.set(thread, [...(byThread.get(thread) ?? []), a]);
  }
  const steps: Step[] = [];
  const orphans = byThread.get(null);
  if (orphans) steps.push({ kind: 'post', alerts: orphans });
  for (const [thread, alerts] of byThread) {
    if (thread === null) continue;
    steps.push({
      kind: 'reply',
      thread,
      alerts,
      update: UPDATES_ORIGINAL.has(n.transition),
      broadcast: n.transition === 'escalated',
      ...(EDITS_ONLY.has(n.transition) ? { quiet: true } : {}),
    });
  }
  return steps;
}

export const stepKey = (s: Step) => (s.kind === 'post' ? 'post' : `thread:${s.thread}`);
