/**
 * Sliding windows over checked best-fork blocks: slot time (seconds per slot over the last N blocks) and farmers
 * (active voters and their average over the history window), as chain-alerter's slot_time_monitor and
 * farming_monitor compute them. Their state is plain data, kept with the fork state.
 */
export interface WindowState {
  slots: [number, number, number?][]; // [slot, timestamp ms, height (absent in state saved before it was kept)]
  lastVoted: [string, number][]; // [public key, height]
  active: number[];
}

export interface SlotTime {
  secondsPerSlot: number | null;
  blocks: number;
  full: boolean;
}

export interface Farmers {
  active: number;
  votes: number;
  average: number | null;
  blocks: number;
  full: boolean;
  ratio: number | null;
}

export class Windows {
  readonly #slotWindow: number;
  readonly #inactive: number;
  readonly #history: number;
  #slots: [number, number, number?][] = [];
  #lastVoted = new Map<string, number>();
  #active: number[] = [];

  constructor(
    opts: { slotWindow: number; inactiveBlocks: number; historyBlocks: number },
    state?: WindowState,
  ) {
    this.#slotWindow = opts.slotWindow;
    this.#inactive = opts.inactiveBlocks;
    this.#history = opts.historyBlocks;
    if (state) {
      this.#slots = state.slots;
      this.#lastVoted = new Map(state.lastVoted);
      this.#active = state.active;
    }
  }

  slot(slot: number | null, timestampMs: number | null, height?: number): SlotTime {
    if (slot !== null && timestampMs !== null) {
      this.#slots.push(height === undefined ? [slot, timestampMs] : [slot, timestampMs, height]);
      if (this.#slots.length > this.#slotWindow) this.#slots.splice(0, this.#slots.length - this.#slotWindow);
    }
    return this.slotTime();
  }

  slotTime(): SlotTime {
    const s = this.#slots;
    const first = s[0];
    const last = s.at(-1);
    const spanSlots = first && last ? last[0] - first[0] : 0;
    return {
      secondsPerSlot: first && last && spanSlots > 0 ? (last[1] - first[1]) / 1000 / spanSlots : null,
      blocks: s.length,
      full: s.length >= this.#slotWindow,
    };
  }

  /**
   * The window as two series, one point per block after the first: the chain time since the previous block and
   * the seconds per slot between the two (the console's block-time and slot-time charts).
   */
  series(): {
    block_time: { t: string; height: number; seconds: number }[];
    slot_time: { t: string; seconds_per_slot: number }[];
  } {
    const block_time: { t: string; height: number; seconds: number }[] = [];
    const slot_time: { t: string; seconds_per_slot: number }[] = [];
    for (let i = 1; i < this.#slots.length; i++) {
      const [prevSlot, prevMs] = this.#slots[i - 1]!;
      const [slot, ms, height] = this.#slots[i]!;
      const t = new Date(ms).toISOString();
      const seconds = (ms - prevMs) / 1000;
      if (height !== undefined) block_time.push({ t, height, seconds });
      if (slot > prevSlot) slot_time.push({ t, seconds_per_slot: seconds / (slot - prevSlot) });
    }
    return { block_time, slot_time };
  }

  farmers(height: number, voters: string[]): Farmers {
    for (const v of voters) this.#lastVoted.set(v, height);
    for (const [k, h] of this.#lastVoted) if (height - h >= this.#inactive) this.#lastVoted.delete(k);
    const active = this.#lastVoted.size;
    this.#active.push(active);
    if (this.#active.length > this.#history) this.#active.splice(0, this.#active.length - this.#history);
    return { ...this.farmerStats(), votes: voters.length };
  }

  farmerStats(): Farmers {
    const active = this.#lastVoted.size;
    const n = this.#active.length;
    const average = n ? this.#active.reduce((a, b) => a + b, 0) / n : null;
    return {
      active,
      votes: 0,
      average,
      blocks: n,
      full: n >= this.#history,
      ratio: average ? active / average : null,
    };
  }

  snapshot(): WindowState {
    return { slots: this.#slots, lastVoted: [...this.#lastVoted], active: this.#active };
  }
}
