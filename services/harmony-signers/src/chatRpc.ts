import { RpcError, serveRpc } from '@tocsin/bus';
import { harmonySignersRpc } from '@tocsin/events';
import type { ServiceContext } from '@tocsin/runtime';
import type { HarmonySignersConfig } from './config.ts';
import type { HostRow } from './detection.ts';
import { isTokenForbidden, isTokenNotFound, type TokenStore } from './tokens.ts';

/**
 * `<prefix>.rpc.harmony-signers.{signers, token_new, token_list, token_revoke}` for `$harmony`, `$token` and
 * `tocsin harmony token`. Replicas answer in one queue group. A chat caller only ever sees their own hosts and
 * tokens; `hosts` (every owner's hosts, the keys × hosts matrix) is for the console, an operator's view.
 */
export function serveChatRpc(ctx: ServiceContext<HarmonySignersConfig>, tokens: TokenStore): void {
  const hostSummary = (h: HostRow, now: number) => ({
    hostname: h.hostname,
    validator_address: h.validator_address,
    token_id: h.token_id,
    mode: h.mode,
    is_backup: h.is_backup,
    shard_id: h.shard_id,
    blskeys: h.blskeys,
    node_reachable: h.node_reachable,
    last_report_at: h.reported_at.toISOString(),
    silent: now - h.received_at.getTime() > h.interval_s * 1000 * ctx.section.silent_intervals,
  });
  const common = { nc: ctx.nc, queue: 'harmony-signers', log: ctx.log };
  const subject = (m: string) => ctx.subjects.rpc('harmony-signers', m);
  const subs = [
    serveRpc({
      ...common,
      subject: subject('signers'),
      schema: harmonySignersRpc.signers.request,
      handler: async (req) => {
        const { rows } = await ctx.pool.query<HostRow>(
          'SELECT * FROM harmony_hosts WHERE owner = $1 ORDER BY hostname, token_id',
          [req.owner],
        );
        return { hosts: rows.map((h) => hostSummary(h, ctx.clock.now())) };
      },
    }),
    serveRpc({
      ...common,
      subject: subject('hosts'),
      schema: harmonySignersRpc.hosts.request,
      handler: async () => {
        const { rows } = await ctx.pool.query<HostRow>(
          'SELECT * FROM harmony_hosts ORDER BY hostname, token_id LIMIT 5000',
        );
        const now = ctx.clock.now();
        return {
          hosts: rows.map((h) => ({ ...hostSummary(h, now), owner: h.owner })),
          keys: [...new Set(rows.flatMap((h) => h.blskeys))].sort(),
        };
      },
    }),
    serveRpc({
      ...common,
      subject: subject('token_new'),
      schema: harmonySignersRpc.token_new.request,
      handler: async (req) => {
        const created = await tokens.create(req.owner, req.label);
        ctx.log.info({ token_id: created.summary.id, owner: req.owner }, 'agent token created');
        return created;
      },
    }),
    serveRpc({
      ...common,
      subject: subject('token_list'),
      schema: harmonySignersRpc.token_list.request,
      handler: async (req) => ({ tokens: await tokens.list(req.owner) }),
    }),
    serveRpc({
      ...common,
      subject: subject('token_revoke'),
      schema: harmonySignersRpc.token_revoke.request,
      handler: async (req) => {
        try {
          const summary = await tokens.revoke(req.id, req.by, req.is_admin);
          ctx.log.info({ token_id: req.id, by: req.by }, 'agent token revoked');
          return { summary };
        } catch (err) {
          if (isTokenNotFound(err)) throw new RpcError('not_found', err.message);
          if (isTokenForbidden(err)) throw new RpcError('forbidden', err.message);
          throw err;
        }
      },
    }),
  ];
  ctx.onStop(() => {
    for (const s of subs) s.unsubscribe();
  });
}
