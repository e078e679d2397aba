import type { ForkAction, Header } from './fork/forkMonitor.ts';
import { blockRef, eventsOut as E, type Outgoing } from './publish.ts';
import type { Reported } from './store/state.ts';

type Reorg = Extract<ForkAction, { kind: 'reorg' }>;
type SideFork = Extract<ForkAction, { kind: 'side_fork' }>;

/**
 * A reorg, and a `retracted` for each transfer or sudo reported from a block that left the best chain (keyed by
 * the original event's dedup key, so every instance retracts it once). The blocks' reports are forgotten.
 */
export function reorgEvents(a: Reorg, reported: Map<string, Reported[]>): Outgoing[] {
  const events: Outgoing[] = [
    E.make(E.reorg, `${a.oldTip.hash}>${a.newTip.hash}`, {
      old_tip: blockRef(a.oldTip),
      new_tip: blockRef(a.newTip),
      common_ancestor: blockRef(a.ancestor),
      depth: a.depth,
      new_depth: a.newDepth,
      backwards: a.backwards,
      retracted: a.retracted.map((x) => x.hash),
    }),
  ];
  for (const gone of a.retracted) {
    for (const rep of reported.get(gone.hash) ?? [])
      events.push(
        E.make(E.retracted, rep.key, {
          original_type: rep.type,
          original_dedup_key: rep.key,
          ref: { block: blockRef(gone), extrinsic_index: rep.extrinsic, event_index: rep.event, id: rep.id },
          new_tip: blockRef(a.newTip),
        }),
      );
    reported.delete(gone.hash);
  }
  return events;
}

export function sideForkEvent(a: SideFork, bestTip: Header): Outgoing {
  return E.make(E.sideFork, `${a.forkPoint.hash}:${a.tip.hash}`, {
    tip: blockRef(a.tip),
    fork_point: blockRef(a.forkPoint),
    length: a.length,
    best_tip: blockRef(bestTip),
  });
}
