import type { Effect, FlapState, Plan, StateRow } from '../lifecycle/types.ts';
import type { CompiledRule } from '../rules/compileRule.ts';

export type FlapConfig = NonNullable<CompiledRule['flap']>;
export type FlapEffect = Extract<Effect, { kind: 'flap' }>;

export interface FlapContext {
  now: number;
  /** The state row before this decision. */
  before(fingerprint: string): StateRow | undefined;
  /** The flap settings of a rule (null: the rule does not flap, or is gone). */
  flapOf(ruleId: string): FlapConfig | null;
}

interface Work {
  cfg: FlapConfig;
  state: FlapState;
  /** The newest episode of the fingerprint seen so far (the one whose message exists, before a flip opens one). */
  last: string | null;
}

const ZERO: FlapState = { flips: [], card: null };

/**
 * Flap suppression over one decision (pure): each fire and resolve of a fingerprint whose rule declares `flap` is a
 * change; more than `max_transitions` changes within `window` make it flapping. While flapping, what the lifecycle
 * decided is still recorded (episodes, timeline), but none of it is notified on its own (`held`): instead one `flap`
 * effect per fingerprint edits the message of its card episode (the one notified before it began to flap). The
 * flip history and the card live in the state row (`flap`), so replicas share them. `settleFlaps` ends it.
 */
export function applyFlap(plan: Plan, cx: FlapContext): void {
  const fpOf = new Map<string, string>();
  for (const row of plan.rows.values()) if (row.episode_id) fpOf.set(row.episode_id, row.fingerprint);
  const work = new Map<string, Work | null>();
  const workOf = (fp: string, ruleId: string): Work | null => {
    if (work.has(fp)) return work.get(fp)!;
    const cfg = cx.flapOf(ruleId);
    const before = cx.before(fp);
    const w = cfg ? { cfg, state: before?.flap ?? ZERO, last: before?.episode_id ?? null } : null;
    work.set(fp, w);
    return w;
  };
  const flaps = new Map<string, FlapEffect & { held: string[] }>();

  for (const e of plan.effects) {
    let episode: string;
    let fp: string | undefined;
    let ruleId: string | undefined;
    let to: 'firing' | 'resolved' | null = null;
    if (e.kind === 'open') {
      episode = e.episode.episode_id;
      fp = e.episode.fingerprint;
      ruleId = e.episode.rule_id;
      fpOf.set(episode, fp);
      if (e.episode.state === 'firing') to = 'firing';
    } else if (e.kind === 'fire' || e.kind === 'resolve' || e.kind === 'step' || e.kind === 'clear') {
      episode = e.episode_id;
      fp = fpOf.get(episode);
      ruleId = fp ? (plan.rows.get(fp) ?? cx.before(fp))?.rule_id : undefined;
      if (e.kind === 'fire') to = 'firing';
      else if (e.kind === 'resolve') to = 'resolved';
    } else continue;
    if (!fp || !ruleId) continue;
    const w = workOf(fp, ruleId);
    if (!w) continue;
    if (to) {
      const from = cx.now - w.cfg.windowMs;
      const flips = [...w.state.flips.filter((t) => t > from), cx.now];
      let card = w.state.card;
      if (card === null && flips.length > w.cfg.maxTransitions)
        card = e.kind === 'open' ? (w.last ?? episode) : episode;
      w.state = { flips, card };
      if (card !== null) {
        const prev = flaps.get(fp);
        flaps.set(fp, {
          kind: 'flap',
          episode_id: card,
          at: cx.now,
          changes: flips.length,
          window_ms: w.cfg.windowMs,
          state: to,
          settled: false,
          held: [...(prev?.held ?? []), episode],
        });
      }
    } else if (w.state.card !== null) {
      // A step or a cleared pending episode while flapping: recorded, not said.
      const prev = flaps.get(fp);
      if (prev) prev.held.push(episode);
      else
        flaps.set(fp, {
          kind: 'flap',
          episode_id: w.state.card,
          at: cx.now,
          changes: w.state.flips.length,
          window_ms: w.cfg.windowMs,
          state: (plan.rows.get(fp) ?? cx.before(fp))?.status === 'firing' ? 'firing' : 'resolved',
          settled: false,
          held: [episode],
        });
    }
    w.last = episode;
  }

  for (const [fp, w] of work) {
    if (!w) continue;
    const row = plan.rows.get(fp) ?? cx.before(fp);
    if (!row) continue;
    const state = w.state.card === null && w.state.flips.length === 0 ? null : w.state;
    if (JSON.stringify(row.flap ?? null) !== JSON.stringify(state))
      plan.rows.set(fp, { ...row, flap: state });
  }
  for (const f of flaps.values()) plan.effects.push(f);
}

/**
 * The tick's half: a flapping fingerprint stable for its window (no change since) settles: a last edit of its card
 * says the state it settled in, and the flip history is forgotten. Also ends flapping whose rule no longer flaps.
 */
export function settleFlaps(
  rows: Iterable<StateRow>,
  now: number,
  flapOf: (ruleId: string) => FlapConfig | null,
): { rows: StateRow[]; effects: FlapEffect[] } {
  const out: { rows: StateRow[]; effects: FlapEffect[] } = { rows: [], effects: [] };
  for (const row of rows) {
    const flap = row.flap;
    if (!flap?.card) continue;
    const cfg = flapOf(row.rule_id);
    const lastFlip = flap.flips.length ? Math.max(...flap.flips) : 0;
    if (cfg && now < lastFlip + cfg.windowMs) continue;
    out.effects.push({
      kind: 'flap',
      episode_id: flap.card,
      at: now,
      changes: flap.flips.length,
      window_ms: cfg?.windowMs ?? Math.max(1, now - lastFlip),
      state: row.status === 'firing' ? 'firing' : 'resolved',
      settled: true,
      ...(row.status === 'firing' && row.episode_id ? { current: row.episode_id } : {}),
    });
    out.rows.push({ ...row, flap: null });
  }
  return out;
}
