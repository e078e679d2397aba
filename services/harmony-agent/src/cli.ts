import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { HarmonyAgent, jsonLog } from './agent.ts';
import { isAgentConfigError, parseAgentConfig } from './config.ts';

export const USAGE = `usage: tocsin agent harmony [--config agent.yaml] [--service-url URL] [--token-file FILE]
       [--node-url URL] [--hostname NAME] [--validator-address ONE1...] [--interval 15s] [--buffer-dir DIR]
Each flag is also a variable (TOCSIN_AGENT_SERVICE_URL, TOCSIN_AGENT_TOKEN_FILE, ...) and a key of the config file
(service_url, token_file, ...). Flags win over variables, variables over the file.`;

const KEYS = [
  'node_url',
  'service_url',
  'token_file',
  'hostname',
  'validator_address',
  'interval',
  'buffer_dir',
  'buffer_max',
  'request_timeout',
  'max_backoff',
] as const;

/** Builds the configuration from a file, TOCSIN_AGENT_* variables and flags. */
export function agentConfigFrom(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(KEYS.map((k) => [k.replaceAll('_', '-'), { type: 'string' as const }])),
    },
    strict: true,
  });
  if (values.help) return null;
  const file = (values.config as string | undefined) ?? env.TOCSIN_AGENT_CONFIG;
  const raw: Record<string, unknown> = file
    ? ((parse(readFileSync(file, 'utf8')) as Record<string, unknown>) ?? {})
    : {};
  for (const k of KEYS) {
    const v =
      (values as Record<string, unknown>)[k.replaceAll('_', '-')] ?? env[`TOCSIN_AGENT_${k.toUpperCase()}`];
    if (v !== undefined && v !== '') raw[k] = k === 'buffer_max' ? Number(v) : v;
  }
  return parseAgentConfig(raw, file ?? 'flags and environment');
}

/** `tocsin agent harmony` / the single-file bundle: runs until SIGINT or SIGTERM. Returns the exit code. */
export async function runAgentCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let agent: HarmonyAgent;
  try {
    const config = agentConfigFrom(argv, env);
    if (!config) {
      console.log(USAGE);
      return 0;
    }
    agent = new HarmonyAgent(config);
    jsonLog.info(
      {
        node: config.node_url,
        service: config.service_url,
        hostname: config.hostname,
        interval_ms: config.interval,
      },
      'harmony agent started',
    );
  } catch (err) {
    const e = err as Error;
    console.error(
      isAgentConfigError(e) || e.name === 'SecretFileError' ? e.message : `harmony agent: ${e.message}`,
    );
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) console.error(USAGE);
    return 1;
  }
  const stop = () => agent.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await agent.run();
  jsonLog.info({ queued: agent.buffer.size }, 'harmony agent stopped');
  return 0;
}
