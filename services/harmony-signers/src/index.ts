import { fileURLToPath } from 'node:url';
import type { ServiceContext, ServiceDefinition } from '@tocsin/runtime';
import { serveChatRpc } from './chatRpc.ts';
import { type HarmonySignersConfig, harmonySignersConfig } from './config.ts';
import { registerReportRoutes } from './routes.ts';
import { pruneHistory, sweepSilentAgents } from './silence.ts';
import { TokenStore } from './tokens.ts';

export { type HarmonySignersConfig, harmonySignersConfig } from './config.ts';
export { REPORTS_PATH } from './routes.ts';
export { type AgentToken, TokenStore, tokenSha256 } from './tokens.ts';

const VERSION = '0.1.0';

export interface HarmonySigners {
  tokens: TokenStore;
  /** Looks for silent agents now (the timer does it every sweep_interval). */
  sweep(): Promise<number>;
  /** Deletes reports past history_retention now (the timer does it with each sweep). */
  prune(): Promise<number>;
}
const running = new WeakMap<ServiceContext, HarmonySigners>();

/** The running service of a context started in this process (tests create tokens and sweep with it). */
export function signersOf(ctx: ServiceContext): HarmonySigners {
  const s = running.get(ctx);
  if (!s) throw new Error('no harmony-signers service runs with this context');
  return s;
}

/**
 * harmony-signers: agents on Harmony validator servers report the BLS keys their node holds and its consensus
 * mode; a key signing (mode Normal) on two hosts at once is a double-sign risk, published within the request that
 * brings the second report.
 */
export const harmonySignersService: ServiceDefinition<typeof harmonySignersConfig> = {
  name: 'harmony-signers',
  version: VERSION,
  config: { section: 'harmony_signers', schema: harmonySignersConfig },
  migrations: fileURLToPath(new URL('../migrations', import.meta.url)),
  defaultPort: 9466,
  async start(ctx: ServiceContext<HarmonySignersConfig>) {
    const tokens = new TokenStore(ctx.pool, ctx.clock, ctx.section.token_cache_ttl);
    await tokens.provision(ctx.section.tokens);
    await registerReportRoutes(ctx, tokens);
    serveChatRpc(ctx, tokens);
    const sweep = () => sweepSilentAgents(ctx);
    const prune = () => pruneHistory(ctx);
    running.set(ctx as ServiceContext, { tokens, sweep, prune });
    if (ctx.section.sweep_interval > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        sweep()
          .then(prune)
          .catch((err: unknown) => ctx.log.warn({ err: String(err) }, 'silent-agent sweep failed; retrying'))
          .finally(() => {
            busy = false;
          });
      }, ctx.section.sweep_interval);
      timer.unref();
      ctx.onStop(() => clearInterval(timer));
    }
  },
};
