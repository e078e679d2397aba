import { existsSync, readFileSync } from 'node:fs';
import { formatIssues } from '@tocsin/events';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { duration } from './duration.ts';

/** Settings every service shares. Service-specific settings live in their own top-level section. */
export const commonConfig = z.object({
  instance: z.string().min(1).max(128).default('local'),
  /**
   * How this instance presents itself in chat: its startup notice goes out under this name and icon (Slack
   * username/icon, Discord webhook username/avatar), e.g. one per node or per team.
   */
  display: z
    .object({
      name: z.string().min(1).max(80).optional(),
      icon_url: z.url().optional(),
    })
    .prefault({}),
  subject_prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "_" and "-"')
    .default('tocsin'),
  nats: z
    .object({
      url: z.string().min(1).default('nats://127.0.0.1:4222'),
      token_file: z.string().optional(),
      duplicate_window: duration.default(120_000),
      retention: duration.default(7 * 86_400_000),
      replicas: z.number().int().min(1).max(5).default(1),
      /** Deliveries of one message before a consumer gives up on it and dead-letters it. */
      max_deliver: z.number().int().min(1).max(1000).default(10),
      /** A consumer whose oldest unacked message has been pending this long reports not ready. */
      stuck_after: duration.default(5 * 60_000),
    })
    .prefault({}),
  database: z
    .object({
      url: z.string().min(1).optional(),
      url_file: z.string().optional(),
      schema: z
        .string()
        .regex(/^[a-z_][a-z0-9_]*$/, 'lowercase identifier')
        .default('public'),
      pool_size: z.number().int().min(1).max(100).default(10),
    })
    .prefault({}),
  http: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).optional(),
    })
    .prefault({}),
  log: z
    .object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
    .prefault({}),
  heartbeat_interval: duration.default(15_000),
});
export type CommonConfig = z.infer<typeof commonConfig>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid configuration (${source}):\n${issues.map((i) => `  ${i}`).join('\n')}`);
  }
}

/** Sets obj[path] creating objects on the way. */
function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) cur[key] = value;
    else {
      if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
      cur = cur[key] as Record<string, unknown>;
    }
  }
}

/**
 * Environment overrides. Well-known variables (NATS_URL, DATABASE_URL, TOCSIN_SUBJECT_PREFIX, TOCSIN_INSTANCE,
 * TOCSIN_HTTP_PORT, TOCSIN_LOG_LEVEL) plus a generic form for any key: TOCSIN__section__key=value (value parsed as
 * YAML, so numbers and booleans keep their type).
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known: [string, string[], (v: string) => unknown][] = [
    ['NATS_URL', ['nats', 'url'], String],
    ['DATABASE_URL', ['database', 'url'], String],
    ['TOCSIN_DATABASE_SCHEMA', ['database', 'schema'], String],
    ['TOCSIN_SUBJECT_PREFIX', ['subject_prefix'], String],
    ['TOCSIN_INSTANCE', ['instance'], String],
    ['TOCSIN_HTTP_PORT', ['http', 'port'], (v) => parseYaml(v)],
    ['TOCSIN_HTTP_HOST', ['http', 'host'], String],
    ['TOCSIN_LOG_LEVEL', ['log', 'level'], String],
  ];
  for (const [name, path, conv] of known) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(out, path, conv(v));
  }
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith('TOCSIN__') || v === undefined) continue;
    const path = name
      .slice('TOCSIN__'.length)
      .split('__')
      .map((p) => p.toLowerCase());
    setPath(out, path, parseYaml(v));
  }
  return out;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over ?? base;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return over ?? base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
  return out;
}

export interface LoadConfigOptions<S extends z.ZodType> {
  /** zod schema of this service's own section. */
  section?: { name: string; schema: S };
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Raw config (tests, the demo); merged under the file. */
  defaults?: Record<string, unknown>;
}

export type LoadedConfig<S extends z.ZodType> = CommonConfig & {
  section: z.output<S>;
  file: string | undefined;
  raw: Record<string, unknown>;
};

export function configFileFrom(argv: string[], env: NodeJS.ProcessEnv): string | undefined {
  const i = argv.findIndex((a) => a === '--config' || a === '-c');
  if (i >= 0 && argv[i + 1]) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith('--config='));
  if (eq) return eq.slice('--config='.length);
  if (env.TOCSIN_CONFIG) return env.TOCSIN_CONFIG;
  return existsSync('tocsin.yaml') ? 'tocsin.yaml' : undefined;
}

/** Loads YAML + env, validates everything, and throws one ConfigError listing every bad field. */
export function loadConfig<S extends z.ZodType>(opts: LoadConfigOptions<S>): LoadedConfig<S> {
  const env = opts.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  const source = opts.file ?? 'environment';
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError(source, [
        `(file): cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      ]);
    }
    try {
      fromFile = (parseYaml(text) as Record<string, unknown>) ?? {};
    } catch (err) {
      throw new ConfigError(source, [`(file): not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile))
      throw new ConfigError(source, ['(root): must be a mapping']);
  }
  const raw = deepMerge(deepMerge(opts.defaults ?? {}, fromFile), envOverrides(env)) as Record<
    string,
    unknown
  >;
  const issues: string[] = [];
  const common = commonConfig.safeParse(raw);
  if (!common.success) issues.push(...formatIssues(common.error.issues));
  let section: unknown;
  if (opts.section) {
    const parsed = opts.section.schema.safeParse(raw[opts.section.name] ?? {});
    if (parsed.success) section = parsed.data;
    else issues.push(...formatIssues(parsed.error.issues, opts.section.name));
  }
  if (issues.length) throw new ConfigError(source, issues);
  return { ...(common.data as CommonConfig), section: section as z.output<S>, file: opts.file, raw };
}

/**
 * The `name` and `icon_url` of a `service_started` event, from the instance's `display` settings (absent when not
 * set), so chat shows the instance's startup notice under its own name and icon.
 */
export function displayOf(config: Pick<CommonConfig, 'display'>): { name?: string; icon_url?: string } {
  const { name, icon_url } = config.display;
  return { ...(name ? { name } : {}), ...(icon_url ? { icon_url } : {}) };
}
