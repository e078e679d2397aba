import type { Publisher } from '@tocsin/bus';
import { type EventDefinition, subspaceBlocks as ev } from '@tocsin/events';
import { type Logger, toDisplay } from '@tocsin/runtime';
import type { z } from 'zod';
import type { BlockFacts, Ref } from './activity.ts';
import type { Header } from './fork/forkMonitor.ts';
import type { Reported } from './store/state.ts';

/** One event to publish: its definition, dedup key (the same on every instance) and data. */
export interface Outgoing {
  def: EventDefinition;
  key: string;
  data: Record<string, unknown>;
}

const out = <S extends z.ZodType>(def: EventDefinition<S>, key: string, data: z.input<S>): Outgoing => ({
  def: def as unknown as EventDefinition,
  key,
  data: data as Record<string, unknown>,
});

export interface Context {
  explorer: string | null;
  decimals: number;
  labels: Map<string, string>;
  /** Public-key hex of an address, or null. */
  keyOf(address: string): string | null;
}

export const blockRef = (h: Header) => ({ height: h.height, hash: h.hash });

/** `<height>-<extrinsic>` or `<height>-e<event>`, as Subscan names them. */
export function refId(height: number, r: Ref): string {
  return r.extrinsic !== null ? `${height}-${r.extrinsic}` : `${height}-e${r.event ?? 0}`;
}

function reference(b: Header, r: Ref) {
  return { block: blockRef(b), extrinsic_index: r.extrinsic, event_index: r.event, id: refId(b.height, r) };
}

function link(ctx: Context, b: Header, r: Ref): string | null {
  if (!ctx.explorer) return null;
  const base = ctx.explorer.replace(/\/+$/, '');
  return r.extrinsic !== null ? `${base}/extrinsic/${refId(b.height, r)}` : `${base}/block/${b.height}`;
}

/** Events for the facts of one checked block, plus what to remember for a retraction. */
export function factEvents(
  ctx: Context,
  b: Header,
  facts: BlockFacts,
): { events: Outgoing[]; reported: Reported[] } {
  const events: Outgoing[] = [];
  const reported: Reported[] = [];
  const key = (r: Ref, suffix = '') => `${b.hash}:${refId(b.height, r)}${suffix}`;
  const remember = (type: 'transfer' | 'sudo', k: string, r: Ref) =>
    reported.push({
      type,
      key: k,
      height: b.height,
      extrinsic: r.extrinsic,
      event: r.event,
      id: refId(b.height, r),
    });
  const labelled = (addrs: (string | null)[]) =>
    addrs.flatMap((a) => {
      const k = a ? ctx.keyOf(a) : null;
      const label = k ? ctx.labels.get(k) : undefined;
      return a && label ? [{ address: a, label }] : [];
    });

  facts.transfers.forEach((t, i) => {
    const k = key(t.ref, `:${t.via}:${i}`);
    remember('transfer', k, t.ref);
    events.push(
      out(ev.transfer, k, {
        kind: t.kind,
        call: t.call,
        from: t.from,
        to: t.to,
        amount: t.amount.toString(),
        display_amount: toDisplay(t.amount, ctx.decimals),
        via: t.via,
        in_sudo: t.inSudo,
        important: labelled([t.from, t.to]),
        ref: reference(b, t.ref),
        explorer_url: link(ctx, b, t.ref),
      }),
    );
  });
  facts.sudos.forEach((s, i) => {
    const k = key(s.ref, `:${s.via}:${i}`);
    remember('sudo', k, s.ref);
    events.push(
      out(ev.sudo, k, {
        call: s.call,
        inner_call: s.inner,
        signer: s.signer,
        result: s.result,
        via: s.via,
        ref: reference(b, s.ref),
        explorer_url: link(ctx, b, s.ref),
      }),
    );
  });
  facts.activity.forEach((a, i) => {
    const k = a.address ? ctx.keyOf(a.address) : null;
    events.push(
      out(ev.addressActivity, key(a.ref, `:${a.via}:${i}`), {
        address: a.address,
        label: (k && ctx.labels.get(k)) || a.address,
        call: a.call,
        via: a.via,
        ref: reference(b, a.ref),
        explorer_url: link(ctx, b, a.ref),
      }),
    );
  });
  for (const s of facts.slashed)
    events.push(
      out(ev.operatorSlashed, key(s.ref), {
        operator_id: s.operatorId,
        reason: s.reason,
        ref: reference(b, s.ref),
        explorer_url: link(ctx, b, s.ref),
      }),
    );
  for (const o of facts.offline)
    events.push(
      out(ev.operatorOffline, key(o.ref), {
        operator_id: o.operatorId,
        domain_id: o.domainId,
        submitted_bundles: o.submitted,
        expected_bundles: o.expected,
        min_required_bundles: o.minRequired,
        ref: reference(b, o.ref),
        explorer_url: link(ctx, b, o.ref),
      }),
    );
  return { events, reported };
}

export const eventsOut = {
  block: ev.block,
  reorg: ev.reorg,
  sideFork: ev.sideFork,
  chainTimeGap: ev.chainTimeGap,
  addressBalance: ev.addressBalance,
  farmerVotes: ev.farmerVotes,
  slotTime: ev.slotTime,
  runtimeUpgrade: ev.runtimeUpgrade,
  nodeStatus: ev.nodeStatus,
  retracted: ev.retracted,
  decodeFailed: ev.decodeFailed,
  make: out,
};

/** Events sent together, acknowledged before the next group (a JetStream round trip per group, not per event). */
const GROUP = 32;

/**
 * Publishes in order, in groups, retrying a group (backoff up to 5 s) while NATS does not take it, so nothing
 * checked is lost during an outage; the block pipeline waits meanwhile. A resent event keeps its Nats-Msg-Id, so
 * JetStream stores it once. An event the contract refuses is logged and skipped.
 */
export async function publishAll(
  publisher: Publisher,
  chainId: string,
  events: Outgoing[],
  log: Logger,
  now: () => number,
  closed: () => boolean,
): Promise<void> {
  const observed = new Date(now());
  for (let i = 0; i < events.length; i += GROUP) {
    let group = events.slice(i, i + GROUP);
    let delay = 250;
    for (;;) {
      const results = await Promise.allSettled(
        group.map((e) =>
          publisher.publish(e.def, {
            chain_id: chainId,
            dedup_key: e.key,
            data: e.data,
            observed_at: observed,
          }),
        ),
      );
      const failed = results.flatMap((r, k) =>
        r.status === 'rejected' ? [[group[k]!, r.reason as Error] as const] : [],
      );
      for (const [e, err] of failed)
        if (err.name === 'EventValidationError')
          log.error({ type: e.def.type, key: e.key, err: err.message }, 'event refused by the contract');
      const retry = failed.filter(([, err]) => err.name !== 'EventValidationError');
      if (!retry.length) break;
      group = retry.map(([e]) => e);
      if (closed())
        throw new Error('closing: events not published; the block is checked again after a restart');
      log.warn(
        { failed: retry.length, err: retry[0]![1].message, retry_ms: delay },
        'publish failed; retrying',
      );
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
