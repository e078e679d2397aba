/** The fork monitor's inputs, outputs and saved state (forkMonitor.ts). */
export interface Header {
  hash: string;
  parent: string;
  height: number;
}

export type ForkAction =
  | { kind: 'check'; block: Header; tip: boolean }
  | {
      kind: 'reorg';
      oldTip: Header;
      newTip: Header;
      ancestor: Header;
      depth: number;
      newDepth: number;
      backwards: boolean;
      retracted: Header[];
    }
  | { kind: 'side_fork'; tip: Header; forkPoint: Header; length: number }
  /** The best tip moved to a fork that could not be connected to the known chain (gap beyond `maxGap`). */
  | { kind: 'jump'; from: Header | null; to: Header };

export interface ForkOutput {
  actions: ForkAction[];
  /** Parents to fetch (gap fill); hand each back with `add(header, {fetched: true})` or `requestFailed`. */
  requests: { hash: string; height: number }[];
}

export interface ForkOptions {
  /** Parents fetched at most below an announced block before it counts as a disconnected new fork. */
  maxGap: number;
  /** Blocks kept at most (the lowest go first, below finalized when possible). */
  maxBlocks: number;
  /** At the very first start (nothing tracked): parents fetched below the first best block, checked too. */
  backfill: number;
}

export interface ForkState {
  version: 1;
  /**
   * [hash, parent, height, attached, checked, depth]; the parent as the index of its own entry when it is tracked
   * too (a hash saved once: the state is written after every batch), else as its hash (all of them in states saved
   * before).
   */
  blocks: [string, string | number, number, 0 | 1, 0 | 1, number][];
  bestTip: string | null;
  candidate: string | null;
  finalized: number;
}

export const DEFAULT_FORK_OPTIONS: ForkOptions = { maxGap: 1000, maxBlocks: 1000, backfill: 0 };
