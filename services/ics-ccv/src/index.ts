import { fileURLToPath } from 'node:url';
import { system } from '@tocsin/events';
import { redactUrl, type ServiceContext, type ServiceDefinition } from '@tocsin/runtime';
import { serveConsumersRpc } from './chatRpc.ts';
import { type IcsCcvConfig, icsCcvConfig } from './config.ts';
import { ConsumerHealth } from './consumerHealth.ts';
import { createOptInAction } from './optIn.ts';
import { pollDelay, schedulePolls } from './pollSchedule.ts';
import { ProviderReader } from './providerReader.ts';
import { type Publish, type Reader, Tracker } from './tracker.ts';
import { type ProviderSubscription, subscribeProvider } from './websocket.ts';

export { type IcsCcvConfig, icsCcvConfig } from './config.ts';
export { selectValidators } from './selection.ts';
export { Tracker } from './tracker.ts';

const VERSION = '0.1.0';
const running = new WeakMap<ServiceContext, { tracker: Tracker; subscription?: ProviderSubscription }>();

/** The tracker (and websocket) of a service started in this process: tests drive `sync` with it. */
export function trackerOf(ctx: ServiceContext): { tracker: Tracker; subscription?: ProviderSubscription } {
  const r = running.get(ctx);
  if (!r) throw new Error('no ics-ccv tracker runs with this context');
  return r;
}

/** Connects on first use, so a provider unreachable at start is a logged retry, not a crash. */
function lazyReader(url: string): Reader & { close(): void } {
  let reader: ProviderReader | undefined;
  const get = async () => {
    reader ??= await ProviderReader.connect(url);
    return reader;
  };
  return {
    snapshot: async () => (await get()).snapshot(),
    bonded: async (height) => (await get()).bonded(height),
    initialValSet: async (id) => (await get()).initialValSet(id),
    consumerValSet: async (id) => (await get()).consumerValSet(id),
    txHeight: async (event, attributes, maxHeight) => (await get()).txHeight(event, attributes, maxHeight),
    close: () => reader?.disconnect(),
  };
}

/**
 * ics-ccv: Interchain Security consumer lifecycle on a provider chain (phases, spawn times, opt-ins, key
 * assignments, our validator's duties), from the provider's websocket and polling, as events for the alerter.
 */
export const icsCcvService: ServiceDefinition<typeof icsCcvConfig> = {
  name: 'ics-ccv',
  version: VERSION,
  config: { section: 'ics_ccv', schema: icsCcvConfig },
  migrations: fileURLToPath(new URL('../migrations', import.meta.url)),
  defaultPort: 9467,
  async start(ctx: ServiceContext<IcsCcvConfig>) {
    const cfg = ctx.section;
    if (!cfg.rpc || !cfg.provider_chain_id) {
      ctx.log.warn('no provider configured under ics_ccv.rpc; nothing to watch');
      return;
    }
    const chainId = cfg.provider_chain_id;
    const endpoint = redactUrl(cfg.rpc);
    const publish: Publish = async (def, dedupKey, data) => {
      try {
        await ctx.publisher.publish(def, {
          chain_id: chainId,
          dedup_key: dedupKey,
          data,
          observed_at: new Date(ctx.clock.now()),
        });
      } catch (err) {
        ctx.log.debug({ type: def.type, err: String(err) }, 'event not published');
        // The tracker rolls back to its saved contexts and derives the event again at the next sync.
        throw err;
      }
    };
    const reader = lazyReader(cfg.rpc);
    ctx.onStop(() => reader.close());
    const health = cfg.consumers.length ? new ConsumerHealth(cfg, publish, reader) : undefined;
    ctx.onStop(() => health?.close());
    const tracker = new Tracker({
      reader,
      pool: ctx.pool,
      providerChainId: chainId,
      endpoint,
      publish,
      log: ctx.log,
      clock: ctx.clock,
      cfg,
      optIn: await createOptInAction(cfg, publish, ctx.log),
      health,
    });
    await tracker.load();
    const handle: { tracker: Tracker; subscription?: ProviderSubscription } = { tracker };
    running.set(ctx as ServiceContext, handle);
    serveConsumersRpc(ctx as ServiceContext, tracker, chainId);
    await publish(system.serviceStarted, `ics-ccv:${ctx.instance}:${ctx.clock.now()}`, {
      service: 'ics-ccv',
      version: VERSION,
      watches: [{ chain_id: chainId, endpoints: [endpoint], height: null, detail: 'ICS provider' }],
    });
    if (!cfg.auto_start) return;

    const subscription = subscribeProvider({
      rpcUrl: cfg.rpc,
      log: ctx.log,
      backoffMs: cfg.reconnect_backoff,
      backoffMaxMs: cfg.reconnect_backoff_max,
      idleTimeoutMs: cfg.ws_idle_timeout,
      onTx: (tx) =>
        void tracker.onTx(tx).catch((err) => ctx.log.error({ err: String(err) }, 'tx not handled')),
      onBlock: (height, events) => {
        ctx.heights.set(chainId, height);
        // A launch is a block event only (consumer_client_created at BeginBlock): look right away.
        if (events.some((e) => e.type === 'consumer_client_created')) void tracker.sync('event');
      },
      onReconnect: () => void tracker.sync('reconnect'),
    });
    handle.subscription = subscription;
    ctx.onStop(() => subscription.stop());
    const timing = {
      pollIntervalMs: cfg.poll_interval,
      fastMs: cfg.spawn_poll_fast,
      fastWindowMs: cfg.spawn_fast_window,
      slowMs: cfg.spawn_poll_slow,
      slowWindowMs: cfg.spawn_slow_window,
    };
    const polls = schedulePolls({
      clock: ctx.clock,
      log: ctx.log,
      delay: (now) => pollDelay(now, tracker.spawnTimes(), timing),
      poll: async () => {
        await tracker.sync('poll');
        if (tracker.unavailable) {
          // Said once (provider_unavailable + a warning); nothing is polled or subscribed from now on.
          polls.stop();
          subscription.stop();
        }
      },
    });
    ctx.onStop(() => polls.stop());
  },
};
