export { AGENT_VERSION, type AgentLog, type Delivery, HarmonyAgent, jsonLog } from './agent.ts';
export { runAgentCli } from './cli.ts';
export {
  type AgentConfig,
  AgentConfigError,
  type AgentConfigInput,
  agentConfig,
  parseAgentConfig,
} from './config.ts';
export { DiskBuffer } from './diskBuffer.ts';
export { type NodeReading, readNode } from './nodeMetadata.ts';
