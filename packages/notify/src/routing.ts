import type { Notification } from '@tocsin/events';
import { z } from 'zod';

/** Routes shared by every chat notifier: a default channel plus routes by source, severity, chain and transition. */
export const routeConfig = z.strictObject({
  default_channel: z.string().min(1).optional(),
  routes: z
    .array(
      z.strictObject({
        source: z.union([z.string(), z.array(z.string())]).optional(),
        severity: z
          .union([z.enum(['info', 'warning', 'critical']), z.array(z.enum(['info', 'warning', 'critical']))])
          .optional(),
        chain_id: z.union([z.string(), z.array(z.string())]).optional(),
        transition: z.union([z.string(), z.array(z.string())]).optional(),
        channel: z.string().min(1),
        /** Stop at this route (default) or also deliver to later matches and the default channel. */
        continue: z.boolean().default(false),
      }),
    )
    .default([]),
});
export type RouteConfig = z.infer<typeof routeConfig>;

const asList = (v: string | string[] | undefined) =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

export function routeChannels(cfg: RouteConfig, n: Notification): string[] {
  const chains = new Set(n.alerts.map((a) => a.chain_id));
  const out: string[] = [];
  let stopped = false;
  for (const r of cfg.routes) {
    const sources = asList(r.source);
    const severities = asList(r.severity);
    const chainIds = asList(r.chain_id);
    const transitions = asList(r.transition);
    if (sources && !sources.includes(n.source)) continue;
    if (severities && !severities.includes(n.severity)) continue;
    if (chainIds && !chainIds.some((c) => chains.has(c))) continue;
    if (transitions && !transitions.includes(n.transition)) continue;
    if (!out.includes(r.channel)) out.push(r.channel);
    if (!r.continue) {
      stopped = true;
      break;
    }
  }
  if (!stopped && cfg.default_channel && !out.includes(cfg.default_channel)) out.push(cfg.default_channel);
  return out;
}
