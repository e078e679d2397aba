import { hostname } from 'node:os';
// Subpaths of @tocsin/runtime that import nothing heavy, so the single-file agent bundle stays small.
import { interval, positiveDuration } from '@tocsin/runtime/duration';
import { z } from 'zod';

/** The agent's configuration (YAML file, flags or TOCSIN_AGENT_* variables). Unknown keys are errors. */
export const agentConfig = z.strictObject({
  /** The local Harmony node's HTTP JSON-RPC. */
  node_url: z.url().default('http://127.0.0.1:9500'),
  /** harmony-signers, e.g. https://tocsin.example.org:9466 */
  service_url: z.url(),
  /** The agent token (from `tocsin harmony token new` or `$token new`); mode 0600 or 0400, refused otherwise. */
  token_file: z.string().min(1),
  hostname: z.string().min(1).max(253).default(hostname()),
  validator_address: z.string().min(1).max(128).nullable().default(null),
  interval: interval.refine((ms) => ms >= 1000, 'at least 1s').default(15_000),
  /** Reports wait here while the service cannot be reached; oldest dropped beyond buffer_max. */
  buffer_dir: z.string().min(1).default('./harmony-agent-buffer'),
  buffer_max: z.number().int().min(1).max(1_000_000).default(5_760),
  request_timeout: positiveDuration.default(10_000),
  /** Longest wait between retries of a failing delivery. */
  max_backoff: positiveDuration.default(60_000),
});
export type AgentConfig = z.output<typeof agentConfig>;
export type AgentConfigInput = z.input<typeof agentConfig>;

export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
  readonly code = 'agent_config';
}

export function isAgentConfigError(err: unknown): err is AgentConfigError {
  return err instanceof AgentConfigError;
}

export function parseAgentConfig(input: unknown, source = 'agent config'): AgentConfig {
  const r = agentConfig.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new AgentConfigError(`${source}: invalid configuration\n${lines.join('\n')}`);
}
