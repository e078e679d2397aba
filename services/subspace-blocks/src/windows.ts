/**
 * Sliding windows over checked best-fork blocks: slot time (seconds per slot over the last N blocks) and farmers
 * (active voters and their average over the history window), as chain-alerter's slot_time_monitor and
 * farming_monitor compute them. Their state is plain data, kept with the fork state.
 */
export interface WindowState {
  slots: [number, number][]; // [slot, timestamp ms]
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
  #slots: [number, number][] = [];
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

  slot(slot: number | null, timestampMs: number | null): SlotTime {
    if (slot !== null && timestampMs !== null) {
      this.#slots.push([slot, timestampMs]);
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
