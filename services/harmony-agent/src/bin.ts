#!/usr/bin/env node
// The agent runs on validator servers, not in the stack: bin.ts (not main.ts, which marks a stack service to deploy/).
import { runAgentCli } from './cli.ts';

process.exitCode = await runAgentCli(process.argv.slice(2));
