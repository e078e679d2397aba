import type { Alert, Notification } from '@tocsin/events';

/** How every chat shows a severity and a transition. */
export const SEVERITY_ICON: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
export const TRANSITION_VERB: Record<string, string> = {
  firing: 'FIRING',
  resolved: 'RESOLVED',
  repeat: 'STILL FIRING',
  escalated: 'ESCALATED',
  acknowledged: 'ACKNOWLEDGED',
  retracted: 'RETRACTED',
  notice: 'NOTICE',
};

export function alertLine(a: Alert): string {
  const ack = a.acknowledged ? ` (acked by ${a.acknowledged.by})` : '';
  // '-' is the chain of facts about no chain (tocsin itself).
  return `${a.summary}${ack}${a.chain_id === '-' ? '' : ` [${a.chain_id}]`}`;
}

/** Plain-text rendering shared by the console notifier and chat fallbacks. Pure. */
export function renderText(n: Notification): string {
  const head = `${n.transition === 'resolved' ? '✅' : (SEVERITY_ICON[n.severity] ?? '•')} ${TRANSITION_VERB[n.transition] ?? n.transition.toUpperCase()} ${n.severity} · ${n.source}`;
  const count = n.alerts.length > 1 ? ` · ${n.alerts.length} alerts` : '';
  const lines = n.alerts.slice(0, 20).map((a) => `  - ${alertLine(a)}`);
  if (n.alerts.length > 20) lines.push(`  … and ${n.alerts.length - 20} more`);
  const mentions = n.mentions.length ? `\n  cc ${n.mentions.join(' ')}` : '';
  return `${head}${count}\n${lines.join('\n')}${mentions}`;
}
