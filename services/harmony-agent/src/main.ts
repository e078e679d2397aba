#!/usr/bin/env node
import { runAgentCli } from './cli.ts';

process.exitCode = await runAgentCli(process.argv.slice(2));
