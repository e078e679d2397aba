import type { z } from 'zod';
import { type EventEnvelope, eventEnvelope } from './envelope.ts';

export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  source: string;
  type: string;
  version: number;
  description: string;
  data: S;
  example: z.infer<S>;
}

/** Declares one event type of the public contract. */
export function defineEvent<S extends z.ZodType>(def: EventDefinition<S>): EventDefinition<S> {
  return def;
}

export type EventData<D extends EventDefinition> = z.infer<D['data']>;

export class EventRegistry {
  readonly #defs = new Map<string, EventDefinition>();

  constructor(defs: Iterable<EventDefinition> = []) {
    for (const d of defs) this.add(d);
  }

  add(def: EventDefinition): this {
    const key = `${def.source}.${def.type}`;
    if (this.#defs.has(key)) throw new Error(`event ${key} is defined twice`);
    this.#defs.set(key, def);
    return this;
  }

  get(source: string, type: string): EventDefinition | undefined {
    return this.#defs.get(`${source}.${type}`);
  }

  all(): EventDefinition[] {
    return [...this.#defs.values()];
  }

  /**
   * Validates an envelope and, when its (source, type) is known, its data. Events of unknown types pass with
   * their envelope checked only, so user-defined publishers can feed the alerter too.
   */
  validate(input: unknown): ValidationResult {
    const env = eventEnvelope.safeParse(input);
    if (!env.success) return { ok: false, issues: formatIssues(env.error.issues) };
    const def = this.get(env.data.source, env.data.type);
    if (!def) return { ok: true, event: env.data as EventEnvelope, known: false };
    if (env.data.version !== def.version) {
      return {
        ok: false,
        issues: [
          `version: ${env.data.source}.${env.data.type} is version ${def.version}, got ${env.data.version}`,
        ],
      };
    }
    const data = def.data.safeParse(env.data.data);
    if (!data.success) return { ok: false, issues: formatIssues(data.error.issues, 'data') };
    return { ok: true, event: { ...env.data, data: data.data as Record<string, unknown> }, known: true };
  }
}

export type ValidationResult =
  | { ok: true; event: EventEnvelope; known: boolean }
  | { ok: false; issues: string[] };

/** One line per issue: `path.to.field: reason`. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], base?: string): string[] {
  return issues.map((i) => {
    const path = [...(base ? [base] : []), ...i.path.map(String)].join('.') || '(root)';
    return `${path}: ${i.message}`;
  });
}
