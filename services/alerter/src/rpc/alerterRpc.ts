import { type Log, RpcError, serveRpc } from '@tocsin/bus';
import { alerterRpc, type Subjects } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { Alerter } from '../alerter.ts';

/**
 * `<prefix>.rpc.alerter.<method>` for the chat notifiers' buttons and commands and the console (contracts in @tocsin/events
 * alerterRpc). Replicas share one queue group, so each request is answered once.
 */
export function serveAlerterRpc(opts: {
  nc: ServiceContext['nc'];
  subjects: Subjects;
  alerter: Alerter;
  log: Log;
}): ReturnType<typeof serveRpc>[] {
  const { nc, subjects, alerter, log } = opts;
  const at = (method: keyof typeof alerterRpc) => ({
    nc,
    subject: subjects.rpc('alerter', method),
    queue: 'alerter',
    log,
  });
  return [
    serveRpc({
      ...at('ack'),
      schema: alerterRpc.ack.request,
      handler: async (r) => ({ alert: await alerter.ack(r) }),
    }),
    serveRpc({
      ...at('resolve'),
      schema: alerterRpc.resolve.request,
      handler: async (r) => ({ alert: await alerter.resolve(r) }),
    }),
    serveRpc({
      ...at('silence'),
      schema: alerterRpc.silence.request,
      handler: async (r) => ({
        silence: await alerter.silence({
          by: r.by,
          matchers: r.matchers,
          duration_s: r.duration_s,
          ends_at: r.ends_at,
          reason: r.reason,
        }),
      }),
    }),
    serveRpc({
      ...at('expire_silence'),
      schema: alerterRpc.expire_silence.request,
      handler: async (r) => ({ silence: await alerter.expireSilence(r) }),
    }),
    serveRpc({
      ...at('silences'),
      schema: alerterRpc.silences.request,
      handler: async (r) => ({ silences: await alerter.listSilences(r.active) }),
    }),
    serveRpc({
      ...at('maintenance'),
      schema: alerterRpc.maintenance.request,
      handler: async ({ is_admin: _, ...r }) => ({ maintenance: await alerter.maintenance.create(r) }),
    }),
    serveRpc({
      ...at('maintenances'),
      schema: alerterRpc.maintenances.request,
      handler: async (r) => ({ maintenances: await alerter.maintenance.list(r.active) }),
    }),
    serveRpc({
      ...at('end_maintenance'),
      schema: alerterRpc.end_maintenance.request,
      handler: async (r) => ({ maintenance: await alerter.maintenance.end(r) }),
    }),
    serveRpc({
      ...at('alerts'),
      schema: alerterRpc.alerts.request,
      handler: async (r) => ({
        alerts: await alerter.alerts({ ...r, since: r.since === undefined ? undefined : new Date(r.since) }),
      }),
    }),
    serveRpc({
      ...at('alert'),
      schema: alerterRpc.alert.request,
      handler: async (r) => {
        const found = await alerter.alert(r.id);
        if (!found) throw new RpcError('not_found', `no alert ${r.id}`);
        return found;
      },
    }),
    serveRpc({
      ...at('subscribe'),
      schema: alerterRpc.subscribe.request,
      handler: (r) => alerter.subscribe(r),
    }),
    serveRpc({
      ...at('unsubscribe'),
      schema: alerterRpc.unsubscribe.request,
      handler: async (r) => ({ removed: await alerter.unsubscribe(r) }),
    }),
    serveRpc({
      ...at('subscriptions'),
      schema: alerterRpc.subscriptions.request,
      handler: async (r) => ({ subscriptions: await alerter.subscriptions(r) }),
    }),
    serveRpc({
      ...at('alert_subscribe'),
      schema: alerterRpc.alert_subscribe.request,
      handler: (r) => alerter.alertSubscriptions.subscribe(r),
    }),
    serveRpc({
      ...at('alert_unsubscribe'),
      schema: alerterRpc.alert_unsubscribe.request,
      handler: async (r) => ({ removed: await alerter.alertSubscriptions.unsubscribe(r) }),
    }),
    serveRpc({
      ...at('alert_subscriptions'),
      schema: alerterRpc.alert_subscriptions.request,
      handler: async (r) => ({ subscriptions: await alerter.alertSubscriptions.list(r.owner) }),
    }),
    serveRpc({
      ...at('params'),
      schema: alerterRpc.params.request,
      handler: async () => ({ params: alerter.params }),
    }),
  ];
}
