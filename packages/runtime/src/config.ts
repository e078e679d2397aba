import { existsSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, isConfigError } from './configError.ts';
import { readConfigFile } from './configFile.ts';
import { parseConfigValue } from './configIssues.ts';
import { interval, positiveDuration } from './duration.ts';

export { ConfigError, isConfigError };

/**
 * Every service's top-level section of the deployment file. The file is shared by all services, so each accepts
 * the others' sections and refuses any other key; a new service adds its section here (the CLI's catalog is typed
 * from this list).
 */
export const CONFIG_SECTIONS = [
  'alerter',
  'console',
  'cosmos_ibc',
  'discord',
  'harmony_signers',
  'ics_ccv',
  'slack',
  'subspace_blocks',
  'telegram',
  'webhook',
] as const;
export type ConfigSection = (typeof CONFIG_SECTIONS)[number];

/** Settings every service shares. Service-specific settings live in their own top-level section. */
export const commonConfig = z.strictObject({
  instance: z.string().min(1).max(128).default('local'),
  /**
   * How this instance presents itself in chat: its startup notice goes out under this name and icon (Slack
   * username/icon, Discord webhook username/avatar), e.g. one per node or per team.
   */
  display: z
    .strictObject({
      name: z.string().min(1).max(80).optional(),
      icon_url: z.url().optional(),
    })
    .prefault({}),
  subject_prefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "_" and "-"')
    .default('tocsin'),
  nats: z
    .strictObject({
      url: z.string().min(1).default('nats://127.0.0.1:4222'),
      token_file: z.string().optional(),
      duplicate_window: positiveDuration.default(120_000),
      retention: positiveDuration.default(7 * 86_400_000),
      replicas: z.number().int().min(1).max(5).default(1),
      /** Deliveries of one message before a consumer gives up on it and dead-letters it. */
      max_deliver: z.number().int().min(1).max(1000).default(10),
      /** A consumer whose oldest unacked message has been pending this long reports not ready. */
      stuck_after: positiveDuration.default(5 * 60_000),
    })
    .prefault({}),
  database: z
    .strictObject({
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
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).optional(),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
    .prefault({}),
  heartbeat_interval: interval.default(15_000),
});
export type CommonConfig = z.infer<typeof commonConfig>;

/** Sets obj[path] creating objects on the way (as own keys, `__proto__` included, so a strict schema sees them). */
function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) setOwn(cur, key, value);
    else {
      if (typeof cur[key] !== 'object' || cur[key] === null || !Object.hasOwn(cur, key)) setOwn(cur, key, {});
      cur = cur[key] as Record<string, unknown>;
    }
  }
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A variable's value as YAML (numbers and booleans keep their type); as the plain string when it is not YAML. */
function envValue(v: string): unknown {
  try {
    return parseYaml(v, { logLevel: 'error' });
  } catch {
    return v;
  }
}

const KNOWN_ENV: [string, string[], (v: string) => unknown][] = [
  ['NATS_URL', ['nats', 'url'], String],
  ['DATABASE_URL', ['database', 'url'], String],
  ['TOCSIN_DATABASE_SCHEMA', ['database', 'schema'], String],
  ['TOCSIN_SUBJECT_PREFIX', ['subject_prefix'], String],
  ['TOCSIN_INSTANCE', ['instance'], String],
  ['TOCSIN_HTTP_PORT', ['http', 'port'], envValue],
  ['TOCSIN_HTTP_HOST', ['http', 'host'], String],
  ['TOCSIN_LOG_LEVEL', ['log', 'level'], String],
];

/** The well-known variables and the key each sets (`tocsin up --help` lists them); any key: TOCSIN__SECTION__KEY. */
export function configEnvVariables(): { name: string; key: string }[] {
  return KNOWN_ENV.map(([name, path]) => ({ name, key: path.join('.') }));
}

/**
 * Environment overrides, with the variable each key came from. Well-known variables (NATS_URL, DATABASE_URL,
 * TOCSIN_SUBJECT_PREFIX, TOCSIN_INSTANCE, TOCSIN_HTTP_PORT, TOCSIN_LOG_LEVEL) plus a generic form for any key:
 * TOCSIN__section__key=value (value parsed as YAML, so numbers and booleans keep their type).
 */
function readEnv(env: NodeJS.ProcessEnv): { values: Record<string, unknown>; origins: Map<string, string> } {
  const values: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  for (const [name, path, conv] of KNOWN_ENV) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    setPath(values, path, conv(v));
    origins.set(path.join('.'), name);
  }
  for (const [name, v] of Object.entries(env)) {
    if (!name.startsWith('TOCSIN__') || v === undefined) continue;
    const path = name
      .slice('TOCSIN__'.length)
      .split('__')
      .map((p) => p.toLowerCase());
    setPath(values, path, envValue(v));
    origins.set(path.join('.'), name);
  }
  return { values, origins };
}

export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return readEnv(env).values;
}

/** The variable a bad field came from: one that set it (or a value inside it), or one under an unknown key. */
function originOf(origins: Map<string, string>, path: string[]): string | undefined {
  const key = path.join('.');
  for (const [p, name] of origins)
    if (key === p || key.startsWith(`${p}.`) || p.startsWith(`${key}.`)) return name;
  return undefined;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return over ?? base;
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return over ?? base;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(over))
    setOwn(out, k, deepMerge(Object.hasOwn(out, k) ? out[k] : undefined, v));
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

/** The top level of the file: the common keys, every service's section (checked by that service), nothing else. */
function topLevel(own: string | undefined) {
  const sections = new Set<string>([...CONFIG_SECTIONS, ...(own ? [own] : [])]);
  return commonConfig.extend(Object.fromEntries([...sections].map((s) => [s, z.unknown().optional()])));
}

/**
 * Loads YAML + env, validates everything (unknown keys included, at every depth), and throws one ConfigError
 * listing every bad field.
 */
export function loadConfig<S extends z.ZodType>(opts: LoadConfigOptions<S>): LoadedConfig<S> {
  const env = opts.env ?? process.env;
  const source = opts.file ?? 'environment';
  const fromFile = opts.file ? readConfigFile(opts.file) : {};
  const { values: fromEnv, origins } = readEnv(env);
  const raw = deepMerge(deepMerge(opts.defaults ?? {}, fromFile), fromEnv) as Record<string, unknown>;
  const origin = (path: string[]) => originOf(origins, path);
  const issues: string[] = [];
  const common = parseConfigValue(topLevel(opts.section?.name), raw, { origin });
  if (!common.success) issues.push(...common.issues);
  let section: unknown;
  if (opts.section) {
    const value = Object.hasOwn(raw, opts.section.name) ? raw[opts.section.name] : undefined;
    const parsed = parseConfigValue(opts.section.schema, value ?? {}, { base: opts.section.name, origin });
    if (parsed.success) section = parsed.data;
    else issues.push(...parsed.issues);
  }
  if (!common.success || issues.length) throw new ConfigError(source, issues);
  const { data } = common;
  const known = Object.fromEntries(
    Object.keys(commonConfig.shape).map((k) => [k, data[k as keyof typeof data]]),
  );
  return { ...(known as CommonConfig), section: section as z.output<S>, file: opts.file, raw };
}

/**
 * The `name` and `icon_url` of a `service_started` event, from the instance's `display` settings (absent when not
 * set), so chat shows the instance's startup notice under its own name and icon.
 */
export function displayOf(config: Pick<CommonConfig, 'display'>): { name?: string; icon_url?: string } {
  const { name, icon_url } = config.display;
  return { ...(name ? { name } : {}), ...(icon_url ? { icon_url } : {}) };
}
