import { callRpc } from '@tocsin/bus';
import { alerterRpc, type Subjects } from '@tocsin/events';
import { actionProblem, awaitState, resolveAlerts, resolveTargets, silenceMatchers } from '@tocsin/notify';
import type { Clock, Logger, ServiceContext } from '@tocsin/runtime';
import { type ButtonInteraction, MessageFlags } from 'discord.js';
import type { CardStore } from './cardStore.ts';
import { callerOf, roleIdsOf } from './chatCommands.ts';
import { type Card, updateCard } from './render/card.ts';
import type { ButtonAction } from './render/customIds.ts';
import { neutralise } from './render/safeText.ts';

export interface AlertButtonDeps {
  store: CardStore;
  nc: ServiceContext['nc'];
  subjects: Subjects;
  adminRoles: string[];
  updateCardMessages(channel: string, messageId: string, change: (card: Card) => Card): Promise<boolean>;
  log: Pick<Logger, 'warn'>;
  /** How the wait for a just-posted message's card tells time (tests). */
  waitClock?: Clock;
}

/**
 * Acknowledge / Snooze 1 h / Snooze 24 h / Resolve on an alert message: the alerter acts (over NATS), then the message is
 * re-rendered from its stored card to show who acknowledged or silenced it. The click is answered at once
 * (deferred update); problems come back to the clicker only.
 */
export function alertButtonHandler(deps: AlertButtonDeps) {
  return async (i: ButtonInteraction, action: Exclude<ButtonAction, { kind: 'page' }>): Promise<void> => {
    await i.deferUpdate();
    const tell = (content: string) =>
      i.followUp({
        content: neutralise(content),
        flags: MessageFlags.Ephemeral,
        allowedMentions: { parse: [] },
      });
    // A card is stored once all its parts are posted: a click on a message posted moments ago may come first.
    const stored = await awaitState(() => deps.store.byMessage(i.message.id), {
      postedAt: i.message.createdTimestamp,
      ...(deps.waitClock ? { clock: deps.waitClock } : {}),
    });
    if (!stored) {
      await tell('I no longer have the details of this alert; use `$alerts`, `$ack <id>` or `$silence`.');
      return;
    }
    const alerts = stored.card.notifications.flatMap((n) => n.alerts);
    const targets =
      action.episode === '*'
        ? alerts.filter((a) => a.state !== 'resolved')
        : alerts.filter((a) => a.episode_id === action.episode && a.state !== 'resolved');
    if (!targets.length) {
      await tell('Already resolved.');
      return;
    }
    const caller = callerOf(i.user, roleIdsOf(i.member), deps.adminRoles);
    const by = { by: caller.owner, is_admin: caller.isAdmin };

    if (action.kind === 'ack') {
      const results = await Promise.allSettled(
        targets.map((a) =>
          callRpc(deps.nc, deps.subjects.rpc('alerter', 'ack'), { ...by, episode_id: a.episode_id }).then(
            (r) => alerterRpc.ack.result.parse(r).alert,
          ),
        ),
      );
      const acked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      if (acked.length) {
        await deps.updateCardMessages(stored.channelId, stored.messageId, (card) => updateCard(card, acked));
      }
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) await tell(`Not acknowledged: ${actionProblem(failed.reason)}`);
      return;
    }

    if (action.kind === 'resolve') {
      // The alerter decides: only notice-like alerts (manual_resolve), only admins; a refusal says why.
      const { resolved, failed } = await resolveAlerts(deps.nc, deps.subjects, resolveTargets(targets), by);
      if (resolved.length) {
        const done = new Set(resolved.map((a) => a.episode_id));
        await deps.updateCardMessages(stored.channelId, stored.messageId, (card) => ({
          ...updateCard(card, resolved),
          resolvedBy: { ...card.resolvedBy, ...Object.fromEntries([...done].map((e) => [e, caller.owner])) },
        }));
      }
      if (failed) await tell(`Not resolved: ${failed}`);
      return;
    }

    const matchers = silenceMatchers(targets);
    if (!matchers) {
      await tell('These alerts come from different rules: silence them one by one, or with `$silence`.');
      return;
    }
    try {
      const { silence } = alerterRpc.silence.result.parse(
        await callRpc(deps.nc, deps.subjects.rpc('alerter', 'silence'), {
          ...by,
          matchers,
          duration_s: action.hours * 3600,
          reason: `from Discord by ${caller.displayName ?? caller.owner}`,
        }),
      );
      await deps.updateCardMessages(stored.channelId, stored.messageId, (card) => ({
        ...card,
        silenced: { ...card.silenced, [action.episode]: { by: caller.owner, until: silence.ends_at } },
      }));
      await tell(`🔕 Silenced for ${action.hours} h (\`$unsilence ${silence.id}\` ends it).`);
    } catch (err) {
      deps.log.warn({ err: String(err) }, 'silence from a button failed');
      await tell(`Not silenced: ${actionProblem(err)}`);
    }
  };
}
