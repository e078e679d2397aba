import { callRpc, isRpcError } from '@tocsin/bus';
import { type Alert, alerterRpc, type Matcher, type Subjects } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';

/**
 * Matchers that silence exactly what a message shows: the labels all its alerts share (for one alert, all of its
 * labels). Alerts from different rules share too little to silence safely together: null. Used by every chat
 * notifier's Silence buttons.
 */
export function silenceMatchers(alerts: Alert[]): Matcher[] | null {
  const [first, ...rest] = alerts;
  if (!first) return null;
  const common = Object.entries(first.labels).filter(([k, v]) => rest.every((a) => a.labels[k] === v));
  if (!common.some(([k]) => k === 'rule')) return null;
  return common.map(([name, value]) => ({ name, op: '=' as const, value }));
}

/** Why a button's action (ack, silence) failed, in words for the person who pressed it. */
export function actionProblem(err: unknown): string {
  if (isRpcError(err)) {
    if (err.code === 'unavailable') return 'The alerter is not answering right now; try again in a minute.';
    if (err.code === 'not_found') return 'That alert is no longer open.';
    return err.message;
  }
  return (err as Error).message;
}

/**
 * What a Resolve button on a message acts on: its open alerts marked `manual_resolve`; if none is (a message from
 * before a rule changed), all of them, so that the alerter says why not.
 */
export function resolveTargets(alerts: Alert[]): string[] {
  const open = alerts.filter((a) => a.state !== 'resolved');
  const manual = open.filter((a) => a.manual_resolve);
  return (manual.length ? manual : open).map((a) => a.episode_id);
}

/**
 * The Resolve button of every chat: asks the alerter to resolve these episodes. The alerter decides who may and
 * what can be resolved. Returns the resolved alerts and, if any failed, why (in words for the person who pressed).
 */
export async function resolveAlerts(
  nc: ServiceContext['nc'],
  subjects: Subjects,
  episodes: string[],
  by: { by: string; is_admin: boolean },
  timeoutMs?: number,
): Promise<{ resolved: Alert[]; failed: string | null }> {
  const results = await Promise.allSettled(
    episodes.map((episode_id) =>
      callRpc(nc, subjects.rpc('alerter', 'resolve'), { ...by, episode_id }, timeoutMs).then(
        (r) => alerterRpc.resolve.result.parse(r).alert,
      ),
    ),
  );
  const failed = results.find((r) => r.status === 'rejected');
  return {
    resolved: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: failed ? actionProblem(failed.reason) : null,
  };
}
