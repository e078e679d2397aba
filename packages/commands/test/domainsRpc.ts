import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { RpcError, serveRpc } from '@tocsin/bus';
import {
  type Alert,
  type AlertSubscription,
  alerterRpc,
  type chainSummary,
  cosmosIbcRpc,
  type harmonyHostSummary,
  harmonySignersRpc,
  type harmonyTokenSummary,
  type ibcClientSummary,
  icsCcvRpc,
  type icsConsumerSummary,
  type Subjects,
  type silence,
  type subscription,
  subspaceBlocksRpc,
  type walletSummary,
} from '@tocsin/events';
import type { z } from 'zod';

type Chain = z.infer<typeof chainSummary>;
type Client = z.infer<typeof ibcClientSummary>;
type Wallet = z.infer<typeof walletSummary>;
type Subscription_ = z.infer<typeof subscription>;
type Silence = z.infer<typeof silence>;
type HarmonyHost = z.infer<typeof harmonyHostSummary>;
type HarmonyToken = z.infer<typeof harmonyTokenSummary>;

/** Every request a fake server received, by `<service>.<method>`. */
export type Calls = { method: string; body: Record<string, unknown> }[];

export interface DomainState {
  chains: Chain[];
  clients: Client[];
  wallets: (Wallet & { owners?: string[] })[];
  scannedAt: string | null;
  subscriptions: Subscription_[];
  /** `$subscribe` (alert_subscribe): chains and sources with a cadence. */
  alertSubscriptions: AlertSubscription[];
  alerts: Alert[];
  silences: Silence[];
  rechecked: number;
  consumers: z.infer<typeof icsConsumerSummary>[];
  harmonyHosts: (HarmonyHost & { owner: string })[];
  harmonyTokens: HarmonyToken[];
  /** The alerter's rule parameters in force (`alerter.params`); null: the alerter does not answer for them. */
  params: Record<string, unknown> | null;
}

export const AT = '2026-11-21T12:00:00.000Z';

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'fp-1',
    episode_id: '01JD4Y7ZKQ3M8V2N5P6R7S8T9V',
    rule_id: 'ibc-client-expiring',
    state: 'firing',
    severity: 'warning',
    source: 'cosmos-ibc',
    chain_id: 'cosmoshub-4',
    labels: { rule: 'ibc-client-expiring', chain_id: 'cosmoshub-4', client_id: '07-tendermint-0' },
    summary: 'IBC client 07-tendermint-0 on cosmoshub-4 is 81% through its trusting period',
    description: '',
    started_at: AT,
    resolved_at: null,
    value: 0.81,
    acknowledged: null,
    silenced_by: [],
    escalated: false,
    mentions: [],
    links: [],
    event_id: null,
    retracted: null,
    ...over,
  };
}

export function defaultState(): DomainState {
  return {
    chains: [
      { chain_id: 'cosmoshub-4', name: 'Cosmos Hub', denom: 'uatom', display_denom: 'ATOM', exponent: 6 },
      { chain_id: 'osmosis-1', name: 'Osmosis', denom: 'uosmo', display_denom: 'OSMO', exponent: 6 },
    ],
    clients: [],
    wallets: [],
    scannedAt: AT,
    subscriptions: [],
    alertSubscriptions: [],
    alerts: [sampleAlert()],
    silences: [],
    rechecked: 0,
    consumers: [
      {
        consumer_id: '0',
        chain_id: 'consumer-1',
        name: 'Consumer One',
        phase: 'INITIALIZED',
        spawn_time: AT,
        spawn_in_s: 3_600,
        opted_in: 1,
        ours_opted_in: false,
        ours_key_assigned: null,
      },
    ],
    harmonyHosts: [],
    harmonyTokens: [],
    params: { ibc_expiry_warning_ratio: 0.8 },
  };
}

/**
 * Small in-test servers for `<prefix>.rpc.alerter.*` and `<prefix>.rpc.cosmos-ibc.*`, validated by the shared
 * contracts (serveRpc answers bad_request to a malformed body, like the real services). The state is plain data
 * the test arranges; the alerter part enforces "only the owner or an admin deregisters".
 */
export function serveDomainRpc(nc: NatsConnection, subjects: Subjects, state: DomainState) {
  const calls: Calls = [];
  const subs: Subscription[] = [];
  let nextId = 1;
  const serve = <S extends z.ZodType, R>(
    service: string,
    method: string,
    schema: S,
    handler: (req: z.output<S>) => Promise<R>,
  ) => {
    subs.push(
      serveRpc({
        nc,
        subject: subjects.rpc(service, method),
        schema,
        handler: async (req) => {
          calls.push({ method: `${service}.${method}`, body: req as Record<string, unknown> });
          return handler(req);
        },
      }),
    );
  };
  const knownChain = (id: string | undefined) => {
    if (id && !state.chains.some((c) => c.chain_id === id))
      throw new RpcError('not_found', `chain "${id}" is not watched`);
  };

  serve('cosmos-ibc', 'chains', cosmosIbcRpc.chains.request, async () => ({ chains: state.chains }));
  serve('ics-ccv', 'consumers', icsCcvRpc.consumers.request, async (r) => ({
    provider_chain_id: 'provider-1',
    available: true,
    height: 100,
    our_validator: 'cosmosvaloper1ours',
    consumers: state.consumers.filter((c) => !r.phase || c.phase === r.phase.toUpperCase()),
  }));
  serve('cosmos-ibc', 'clients', cosmosIbcRpc.clients.request, async (r) => {
    knownChain(r.chain_id);
    return {
      clients: state.clients.filter(
        (c) =>
          (!r.chain_id || c.chain_id === r.chain_id) &&
          (!r.status || c.status.toLowerCase() === r.status.toLowerCase()),
      ),
      scanned_at: state.scannedAt,
    };
  });
  serve('cosmos-ibc', 'wallets', cosmosIbcRpc.wallets.request, async (r) => {
    knownChain(r.chain_id);
    return {
      wallets: state.wallets
        .filter(
          (w) => (!r.chain_id || w.chain_id === r.chain_id) && (!r.owner || w.owners?.includes(r.owner)),
        )
        .map(({ owners: _owners, ...w }) => w),
    };
  });
  serve('cosmos-ibc', 'recheck', cosmosIbcRpc.recheck.request, async (r) => {
    knownChain(r.chain_id);
    return { rechecked: state.rechecked };
  });

  serve('subspace-blocks', 'status', subspaceBlocksRpc.status.request, async () => ({
    chain_id: 'autonomys-mainnet',
    nodes: [
      {
        node: 'ws://127.0.0.1:9944',
        primary: true,
        connected: true,
        best: { height: 120, hash: `0x${'a'.repeat(64)}` },
        finalized: { height: 100, hash: `0x${'b'.repeat(64)}` },
        peers: 8,
        off_best_chain: 0,
        error: null,
      },
    ],
    best_tip: { height: 120, hash: `0x${'a'.repeat(64)}` },
    finalized: { height: 100, hash: `0x${'b'.repeat(64)}` },
    checked: { height: 120, hash: `0x${'a'.repeat(64)}` },
    forks: [],
    tracked_blocks: 21,
    seconds_per_slot: 1,
    active_farmers: 20,
    farmers_window_average: 20,
  }));
  serve('harmony-signers', 'signers', harmonySignersRpc.signers.request, async (r) => ({
    hosts: state.harmonyHosts.filter((h) => h.owner === r.owner).map(({ owner: _o, ...h }) => h),
  }));
  serve('harmony-signers', 'token_new', harmonySignersRpc.token_new.request, async (r) => {
    const summary = {
      id: `tok_${nextId++}`,
      owner: r.owner,
      label: r.label,
      created_at: AT,
      revoked_at: null,
      last_used_at: null,
    };
    state.harmonyTokens.push(summary);
    return { token: `tocsin_hmy_secret${summary.id}`, summary };
  });
  serve('harmony-signers', 'token_list', harmonySignersRpc.token_list.request, async (r) => ({
    tokens: state.harmonyTokens.filter((t) => !r.owner || t.owner === r.owner),
  }));
  serve('harmony-signers', 'token_revoke', harmonySignersRpc.token_revoke.request, async (r) => {
    const t = state.harmonyTokens.find((x) => x.id === r.id);
    if (!t) throw new RpcError('not_found', `no token ${r.id}`);
    if (t.owner !== r.by && !r.is_admin)
      throw new RpcError('forbidden', `token ${r.id} belongs to someone else`);
    t.revoked_at = AT;
    return { summary: t };
  });

  serve('alerter', 'subscribe', alerterRpc.subscribe.request, async (r) => {
    const existing = state.subscriptions.find(
      (s) => s.owner === r.owner && s.target === r.target && s.chain_id === r.chain_id && s.kind === r.kind,
    );
    if (existing) {
      existing.threshold = r.threshold;
      return { subscription: existing, created: false };
    }
    const sub = { id: `sub-${nextId++}`, ...r, created_at: AT };
    state.subscriptions.push(sub);
    return { subscription: sub, created: true };
  });
  serve('alerter', 'unsubscribe', alerterRpc.unsubscribe.request, async (r) => {
    // As the alerter does: nothing registered → not_found; only others' → forbidden; else remove the caller's own
    // (an admin's: all of them).
    const found = state.subscriptions.filter(
      (s) => s.target === r.target && s.kind === r.kind && (!r.chain_id || s.chain_id === r.chain_id),
    );
    if (!found.length) throw new RpcError('not_found', `no subscription for ${r.target}`);
    const mine = r.is_admin ? found : found.filter((s) => s.owner === r.by);
    if (!mine.length)
      throw new RpcError('forbidden', `only the user who registered ${r.target} can deregister it`);
    state.subscriptions = state.subscriptions.filter((s) => !mine.includes(s));
    return { removed: mine.length };
  });
  serve('alerter', 'subscriptions', alerterRpc.subscriptions.request, async (r) => ({
    subscriptions: state.subscriptions.filter(
      (s) => (!r.owner || s.owner === r.owner) && (!r.kind || s.kind === r.kind),
    ),
  }));
  serve('alerter', 'alert_subscribe', alerterRpc.alert_subscribe.request, async (r) => {
    // As the alerter does: a bare word naming a source its rules watch is a source, else a chain.
    const scope = r.scope ?? (r.value === 'cosmos-ibc' ? 'source' : 'chain');
    const existing = state.alertSubscriptions.find(
      (s) => s.owner === r.owner && s.scope === scope && s.value === r.value,
    );
    // As the alerter does: daily ones carry the owner's daily time (the one given moves the others).
    const mine = state.alertSubscriptions.filter((s) => s.owner === r.owner && s.cadence === 'daily');
    const time =
      r.cadence !== 'daily'
        ? {}
        : r.at
          ? { at: r.at, timezone: r.timezone ?? 'UTC' }
          : { at: mine.at(-1)?.at ?? '00:00', timezone: mine.at(-1)?.timezone ?? 'UTC' };
    if (r.at) for (const s of mine) Object.assign(s, time);
    if (existing) {
      delete existing.at;
      delete existing.timezone;
      Object.assign(existing, { cadence: r.cadence }, time);
      return { subscription: existing, created: false };
    }
    const sub = {
      id: `asub-${nextId++}`,
      owner: r.owner,
      scope,
      value: r.value,
      cadence: r.cadence,
      ...time,
      created_at: AT,
    };
    state.alertSubscriptions.push(sub);
    return { subscription: sub, created: true };
  });
  serve('alerter', 'alert_unsubscribe', alerterRpc.alert_unsubscribe.request, async (r) => {
    const owner = r.owner ?? r.by;
    const gone = state.alertSubscriptions.filter(
      (s) => s.owner === owner && s.value === r.value && (!r.scope || s.scope === r.scope),
    );
    if (!gone.length) throw new RpcError('not_found', `no subscription to ${r.value}`);
    state.alertSubscriptions = state.alertSubscriptions.filter((s) => !gone.includes(s));
    return { removed: gone.length };
  });
  serve('alerter', 'alert_subscriptions', alerterRpc.alert_subscriptions.request, async (r) => ({
    subscriptions: state.alertSubscriptions.filter((s) => !r.owner || s.owner === r.owner),
  }));
  serve('alerter', 'params', alerterRpc.params.request, async () => {
    if (!state.params) throw new RpcError('unavailable', 'the alerter is starting');
    return { params: state.params };
  });
  serve('alerter', 'alerts', alerterRpc.alerts.request, async (r) => ({
    alerts: state.alerts
      .filter((a) => (!r.state || a.state === r.state) && (!r.chain_id || a.chain_id === r.chain_id))
      .slice(0, r.limit),
  }));
  serve('alerter', 'ack', alerterRpc.ack.request, async (r) => {
    const a = state.alerts.find(
      (x) => x.state !== 'resolved' && (x.episode_id === r.episode_id || x.fingerprint === r.fingerprint),
    );
    if (!a) throw new RpcError('not_found', 'no open alert with that id');
    a.acknowledged = { by: r.by, at: AT };
    return { alert: a };
  });
  serve('alerter', 'silence', alerterRpc.silence.request, async (r) => {
    const bad = r.matchers.find((m) => m.name === 'forbidden_label');
    if (bad) throw new RpcError('bad_request', 'matchers.0.name: not allowed');
    const s: Silence = {
      id: `sil-${nextId++}`,
      matchers: r.matchers,
      starts_at: AT,
      ends_at: new Date(Date.parse(AT) + (r.duration_s ?? 3600) * 1000).toISOString(),
      author: r.by,
      reason: r.reason,
      created_at: AT,
    };
    state.silences.push(s);
    return { silence: s };
  });
  serve('alerter', 'silences', alerterRpc.silences.request, async () => ({ silences: state.silences }));
  serve('alerter', 'maintenances', alerterRpc.maintenances.request, async () => ({ maintenances: [] }));
  serve('alerter', 'expire_silence', alerterRpc.expire_silence.request, async (r) => {
    const s = state.silences.find((x) => x.id === r.id);
    if (!s) throw new RpcError('not_found', 'no such silence');
    if (!r.is_admin && s.author !== r.by) throw new RpcError('forbidden', 'not the author');
    state.silences = state.silences.filter((x) => x !== s);
    return { silence: s };
  });

  return {
    calls,
    /** The bodies of the calls to one method, e.g. `alerter.subscribe`. */
    bodies: (method: string) => calls.filter((c) => c.method === method).map((c) => c.body),
    stop: () => {
      for (const s of subs) s.unsubscribe();
    },
  };
}
