import { type BlockFacts, blockFacts, eventsRead } from './activity.ts';
import type { NodeConnection, RawBlock } from './connections.ts';
import { decodeBlock, SYSTEM_EVENTS_KEY } from './decode.ts';
import type { Header } from './fork/forkMonitor.ts';
import { blockRef, type Context, eventsOut as E, factEvents, type Outgoing } from './publish.ts';
import type { Reported } from './store/state.ts';
import type { Windows } from './windows.ts';

export interface Fetched {
  raw: RawBlock;
  eventsHex: string | null;
  node: NodeConnection;
}

/** Reads a block and its events from a node (raw, decoded later so one bad part cannot spoil the rest). */
export async function fetchBlock(node: NodeConnection, hash: string): Promise<Fetched> {
  const [block, eventsHex] = await Promise.all([
    node.block(hash),
    node.send<string | null>('state_getStorage', [SYSTEM_EVENTS_KEY, hash]),
  ]);
  return { raw: block, eventsHex, node };
}

export interface CheckDeps {
  ctx: Context;
  important: Set<string>;
  windows: Windows;
  /** Chain time of recent checked blocks. */
  times: Map<string, number>;
  chainTimeGapMinMs: number;
  specVersion: { value: number | null };
}

export interface CheckResult {
  events: Outgoing[];
  reported: Reported[];
  facts: BlockFacts;
  timestampMs: number | null;
}

/** The events of one checked best-fork block: the block itself, its facts, windows, gaps, upgrades, warnings. */
export function checkBlock(deps: CheckDeps, b: Header, tip: boolean, f: Fetched): CheckResult {
  const api = f.node.api!;
  const decoded = decodeBlock(api.registry, f.raw, f.eventsHex, eventsRead(deps.important));
  const facts = blockFacts(decoded, deps.important);
  const events: Outgoing[] = [];
  const spec = f.node.api?.runtimeVersion?.specVersion?.toNumber() ?? null;
  events.push(
    E.make(E.block, b.hash, {
      node: f.node.shown,
      height: b.height,
      hash: b.hash,
      parent: b.parent,
      best: tip,
      slot: decoded.slot,
      timestamp: decoded.timestampMs === null ? null : new Date(decoded.timestampMs).toISOString(),
      extrinsics: decoded.extrinsicCount,
      events: decoded.eventCount,
      spec_version: spec,
    }),
  );
  for (const fail of decoded.failures)
    events.push(
      E.make(E.decodeFailed, `${b.hash}:${fail.part}:${fail.index ?? '-'}`, {
        block: blockRef(b),
        part: fail.part,
        index: fail.index,
        spec_version: spec,
        reason: fail.reason,
      }),
    );
  const { events: factEvs, reported } = factEvents(deps.ctx, b, facts);
  events.push(...factEvs);

  const parentTime = deps.times.get(b.parent);
  if (decoded.timestampMs !== null) {
    deps.times.set(b.hash, decoded.timestampMs);
    if (parentTime !== undefined && decoded.timestampMs - parentTime >= deps.chainTimeGapMinMs)
      events.push(
        E.make(E.chainTimeGap, b.hash, {
          block: blockRef(b),
          parent_timestamp: new Date(parentTime).toISOString(),
          timestamp: new Date(decoded.timestampMs).toISOString(),
          gap_s: (decoded.timestampMs - parentTime) / 1000,
        }),
      );
  }
  const st = deps.windows.slot(decoded.slot, decoded.timestampMs, b.height);
  events.push(
    E.make(E.slotTime, b.hash, {
      block: blockRef(b),
      seconds_per_slot: st.secondsPerSlot,
      window_blocks: st.blocks,
      window_full: st.full,
    }),
  );
  const fv = deps.windows.farmers(b.height, facts.voters);
  events.push(
    E.make(E.farmerVotes, b.hash, {
      block: blockRef(b),
      active_farmers: fv.active,
      votes_in_block: fv.votes,
      window_average: fv.average,
      window_blocks: fv.blocks,
      window_full: fv.full,
      ratio: fv.ratio,
    }),
  );
  const previous = deps.specVersion.value;
  if (spec !== null && (facts.codeUpdated || (previous !== null && spec !== previous))) {
    events.push(
      E.make(E.runtimeUpgrade, `${b.hash}:${spec}`, {
        block: blockRef(b),
        spec_name: api.runtimeVersion.specName.toString(),
        spec_version: spec,
        // During a backfill the api already runs the newer runtime: an unknown previous version is null, not equal.
        previous_spec_version: previous === spec ? null : previous,
      }),
    );
  }
  if (spec !== null) deps.specVersion.value = spec;
  return { events, reported, facts, timestampMs: decoded.timestampMs };
}
